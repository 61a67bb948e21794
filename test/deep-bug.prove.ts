/**
 * The random driver reaches bugs that need long traces. The target: in the atc-then-iotlb design,
 * a VF ends up with stale ATC entries for *two* IOVAs after both unmaps completed. Each stale entry
 * needs its own map, an IOTLB fill, the unmap start, the device's Invalidation Completion, a
 * Translation Request refilling the ATC from the stale IOTLB, and four procedure advances (8
 * commands), plus one assignment: no trace shorter than 17 commands reaches it. The IOVAs are not
 * adjacent (no mapping of two granules covers both) and the function must answer on its link (a
 * hung function keeps what an unanswered invalidation should have dropped): both shortcuts would
 * reach two stale entries in 11 commands. fast-check's default command-list size (about 5 commands
 * on average) cannot; the driver's length schedule must.
 */
import { expect, it } from "vitest"
import { search } from "../drivers/random.ts"
import { contextDid } from "../model/iommu/context.ts"
import { walk } from "../model/iommu/domain.ts"
import { domainByDid } from "../model/iommu/iommu.ts"
import type { Property } from "../properties/property.ts"
import { scenario } from "./helpers.ts"

/** Test-only target: no function holds two ATC entries that outlive their unmaps. */
const twoStaleEntries: Property = {
  id: "two-stale-atc-entries",
  statement: "No function holds two ATC entries whose unmaps have completed.",
  kind: "coherence",
  citation: "test target",
  check: ({ after }) => {
    for (const fn of after.functions) {
      if (fn.link !== "up") continue
      const did = contextDid(after.iommu.context, fn.rid)
      const domain = did === undefined ? undefined : domainByDid(after.iommu, did)
      const stale = fn.ats.atc.filter(
        (e) =>
          domain !== undefined &&
          walk(domain, e.iova) !== e.page &&
          !after.host.procedures.some((p) => p._tag === "Unmap" && p.vm === domain?.vm && p.iova === e.iova),
      )
      if (stale.length >= 2) return `${fn.rid} holds ${stale.length} stale entries`
    }
    return undefined
  },
}

it("finds a violation whose shortest trace has 17 commands", () => {
  const catalogued = scenario("sriov-ats-atc-before-iotlb")
  const s = { ...catalogued, topology: { ...catalogued.topology, iovas: [0x1000, 0x3000] } }
  const result = search(s, { runs: 20000, seed: 2, maxSteps: 100, properties: [twoStaleEntries], now: () => 0 })
  expect(result.violations.map((v) => v.property)).toEqual(["two-stale-atc-entries"])
  const [v] = result.violations
  expect(v?.oneMinimal).toBe(true)
  expect(v?.commands.length).toBeGreaterThanOrEqual(17)
})
