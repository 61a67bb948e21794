/**
 * Every unsafe catalogue scenario as a property test with its expectation, against the exhaustive
 * explorer: each is found, each violation's shrunk trace is 1-minimal, its length equals the
 * shortest counterexample the explorer finds (the yardstick of DESIGN.md §6), and the verdict
 * comes from `step`: the same trace runs clean under the safe sibling design.
 */
import { describe, expect, it } from "vitest"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { search } from "../drivers/random.ts"
import type { PolicyInput } from "../model/policy.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { runCommands, scenario, withPolicy } from "./helpers.ts"

const now = () => performance.now()
const unsafe = catalogue().filter((s) => s.expected !== "safe" && s.expected !== undefined)

/** The safe design each unsafe scenario is a variant of: a catalogue scenario, or itself with a fixed policy. */
const safeSibling: Readonly<Record<string, string | PolicyInput>> = {
  "sriov-ats-no-atc-invalidation": "sriov-ats-strict",
  "sriov-ats-atc-before-iotlb": "sriov-ats-strict",
  "siov-ims-guest-writable": "siov-ims-pasid-tagged-interrupts",
  "siov-pasid-dma-decoded-as-msi": "siov-ims-host-managed",
  "sriov-remapping-no-sid-validation": "sriov-ims-guest-writable-sid-validation",
  "sriov-no-interrupt-remapping": "sriov-ims-guest-writable-sid-validation",
  "mdev-unmediated": { mdevMediation: "pasid-domains" },
  "vfio-noiommu": { vfioIommu: "type1" },
  "vf-pasid-mirror-readonly": "vf-pasid-emulated-iommu-enforced",
  "vf-pasid-emulated-unenforced": "vf-pasid-emulated-iommu-enforced",
  "vf-pasid-pf-disables-while-assigned": "vf-pasid-emulated-iommu-enforced",
  "pri-teardown-no-drain": "pri-teardown-drain",
  "tdisp-flip-in-flight": "tdisp-flip-by-rebind",
  "tdisp-config-change-ignored": { tdiErrorOnConfigChange: "enforced" },
  "nested-smmuv3-untranslated-vrid": "nested-smmuv3-forwarded-atc",
  "nested-amd-dropped-atc": "nested-amd-forwarded-atc",
  "nested-amd-synthesized-single-gcr3": { amdAtcSynthesis: "all-gcr3-tables" },
  "nested-shared-pdid": "nested-amd-forwarded-atc",
  "nested-stale-vrid-after-reassign": "nested-smmuv3-forwarded-atc",
  "program-unmap-free-before-flush": "sriov-ats-strict",
  "lifecycle-release-keeps-irtes": { releaseIrtes: "free" },
  "lifecycle-ats-timeout-treat-as-complete": { atsInvalidationTimeout: "fence-then-free" },
  "lifecycle-reassign-no-quiesce": { releaseQuiesce: "wait-idle" },
  "lifecycle-release-host-identity": { releaseDomain: "blocking" },
  "cache-context-tag-after-change": "cache-context-tag-before-change",
  "tag-free-without-flush": "tag-free-after-flush",
  "flush-deferred": "flush-deferred-page-held",
  "flush-range-first-page": "flush-range-whole-mapping",
  "adversary-untrusted-ats-enabled": "adversary-untrusted-ats-disabled",
  "adversary-alias-per-function": "adversary-alias-group-aware",
  "adversary-rmrr-keep-unity-map": "adversary-rmrr-drop-unity-map",
  "siov-ats-rid-only-invalidation": "siov-ats-pasid-invalidation",
}

describe.each(unsafe.map((s) => [s.id, s] as const))("unsafe scenario %s", (id, s) => {
  it("is found, shrunk to the shortest length, and clean under its safe sibling", () => {
    const result = search(s, { runs: 3000, seed: 20261121, maxSteps: 100, properties, now })
    const violated = result.violations.map((v) => v.property)
    expect(matchesExpectation(s.expected, violated), `violated: ${violated.join(", ") || "none"}`).toBe(true)
    const longest = Math.max(...result.violations.map((v) => v.commands.length))
    const shortest = explore(iovcheckModel(s, properties), { depth: longest, maxStates: 5_000_000, now })
    const fix = safeSibling[id]
    expect(fix, `${id} has a safe sibling`).toBeDefined()
    const sibling = typeof fix === "string" ? scenario(fix) : withPolicy(s, fix ?? {})
    for (const v of result.violations) {
      expect(v.oneMinimal).toBe(true)
      expect(v.stepIndex).toBe(v.commands.length - 1)
      const yardstick = shortest.violations.find((x) => x.property === v.property)
      expect(v.commands.length, `${id} ${v.property}: shrunk vs shortest`).toBe(yardstick?.commands.length)
      expect(runCommands(sibling, v.commands).findings, `${v.property} trace under ${sibling.id}`).toEqual([])
    }
  })
})
