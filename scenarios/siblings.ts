/**
 * The catalogue's safe siblings: for each unsafe scenario, the safe design it is a variant of — a
 * catalogue scenario (same world, the design fixed), or the same scenario with some knobs set to
 * their safe values. Two rules rest on it: the unsafe scenario's shrunk traces run clean under the
 * sibling (the verdict comes from the design, not the world), and a safe scenario's pinned `proof`
 * goes at least two commands deeper than the longest `shortest` counterexample of the unsafe
 * scenarios it is the sibling of (issue 19: a bounded proof deeper than the bugs it rules out).
 *
 * @module
 */
import type { PolicyInput } from "../model/policy.ts"
import type { Scenario } from "./scenario.ts"

/** The safe design each unsafe catalogue scenario is a variant of: a catalogue id, or a policy fix. */
export const SAFE_SIBLINGS: Readonly<Record<string, string | PolicyInput>> = {
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
  "lifecycle-ats-timeout-treat-as-complete": "lifecycle-ats-timeout-fence",
  "lifecycle-reassign-no-quiesce": "lifecycle-reassign-default",
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

/**
 * The safe sibling of an unsafe scenario, resolved against `catalogue`; `undefined` when it has
 * none listed.
 */
export const safeSiblingOf = (s: Scenario, catalogue: ReadonlyArray<Scenario>): Scenario | undefined => {
  const fix = SAFE_SIBLINGS[s.id]
  if (fix === undefined) return undefined
  if (typeof fix === "string") return catalogue.find((c) => c.id === fix)
  return { ...s, policy: { ...s.policy, ...fix } }
}

/**
 * The depth a safe catalogue scenario's `proof` must reach: the longest pinned `shortest`
 * counterexample among the unsafe scenarios whose sibling it is, plus two; `undefined` when it is
 * no one's sibling.
 */
export const requiredProofDepth = (safe: Scenario, catalogue: ReadonlyArray<Scenario>): number | undefined => {
  const lengths = catalogue
    .filter((u) => SAFE_SIBLINGS[u.id] === safe.id)
    .flatMap((u) => Object.values(u.shortest ?? {}))
  return lengths.length === 0 ? undefined : Math.max(...lengths) + 2
}
