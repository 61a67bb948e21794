import { describe, expect, it } from "vitest"
import { contextDid, setContext } from "./context.ts"
import { EMPTY_ENTRY_CACHE } from "./entry-cache.ts"
import { clearPte, setPte, walk } from "./domain.ts"
import { type Iommu, translate } from "./iommu.ts"
import { iotlbFill, iotlbInvalidate, iotlbLookup } from "./iotlb.ts"

const iommu: Iommu = {
  context: setContext([], { rid: "01:00.1", kind: "translated", did: 1, ats: false }),
  pasids: [],
  cache: EMPTY_ENTRY_CACHE,
  interrupts: { irt: [], iec: [] },
  prq: [],
  physicalPages: 4,
  domains: [
    { did: 1, vm: "vm1", ptes: [{ iova: 0x1000, page: 0, base: 0x1000 }] },
    { did: 2, vm: "vm2", ptes: [] },
  ],
  iotlb: [],
}

describe("context entries (VT-d §9.3)", () => {
  it("give the DID of an attached RID and nothing for a blocked one", () => {
    expect(contextDid(iommu.context, "01:00.1")).toBe(1)
    expect(contextDid(iommu.context, "01:00.2")).toBeUndefined()
    expect(
      contextDid(setContext(iommu.context, { rid: "01:00.2", kind: "translated", did: 2, ats: true }), "01:00.2"),
    ).toBe(2)
  })
})

describe("page tables", () => {
  it("walk present and cleared PTEs", () => {
    const d = setPte({ did: 1, vm: "vm1", ptes: [] }, { iova: 0x2000, page: 3, base: 0x2000 })
    expect(walk(d, 0x2000)).toBe(3)
    expect(walk(clearPte(d, 0x2000), 0x2000)).toBeUndefined()
  })
})

describe("IOTLB tagged by (DID, IOVA) (VT-d §6.2.1)", () => {
  it("invalidation drops only the named DID and IOVA", () => {
    const t = iotlbFill(iotlbFill([], { did: 1, iova: 0x1000, page: 0 }), { did: 2, iova: 0x1000, page: 1 })
    const { iotlb, dropped } = iotlbInvalidate(t, 1, 0x1000)
    expect(dropped).toEqual([{ did: 1, iova: 0x1000, page: 0 }])
    expect(iotlbLookup(iotlb, 2, 0x1000)?.page).toBe(1)
  })
})

describe("translation of a request", () => {
  it("walks on a miss, fills the IOTLB, then hits", () => {
    const first = translate(iommu, "01:00.1", 0x1000)
    expect(first.translation).toEqual({ _tag: "Translated", did: 1, page: 0, source: "walk" })
    expect(first.iommu.iotlb).toEqual([{ did: 1, iova: 0x1000, page: 0 }])
    const second = translate(first.iommu, "01:00.1", 0x1000)
    expect(second.translation).toMatchObject({ source: "iotlb" })
  })

  it("serves a stale IOTLB entry after the PTE is cleared (until invalidated)", () => {
    const filled = translate(iommu, "01:00.1", 0x1000).iommu
    const cleared: Iommu = { ...filled, domains: filled.domains.map((d) => (d.did === 1 ? clearPte(d, 0x1000) : d)) }
    expect(translate(cleared, "01:00.1", 0x1000).translation).toMatchObject({ page: 0, source: "iotlb" })
    const invalidated: Iommu = { ...cleared, iotlb: iotlbInvalidate(cleared.iotlb, 1, 0x1000).iotlb }
    expect(translate(invalidated, "01:00.1", 0x1000).translation).toEqual({ _tag: "NotPresent", did: 1 })
  })

  it("blocks a RID without a context entry and does not cache not-present", () => {
    expect(translate(iommu, "01:00.2", 0x1000).translation).toEqual({
      _tag: "Blocked",
      reason: "01:00.2 has no context entry",
    })
    expect(translate(iommu, "01:00.1", 0x2000).iommu.iotlb).toEqual([])
  })
})
