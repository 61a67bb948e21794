/**
 * `atc-coherence`: the IOMMU's IOTLB and every device's ATC refine the page tables: each cached
 * translation is one the tables still give, except for an IOVA whose unmap procedure is still in
 * flight (STYLE.md §7, caches checked by refinement). Equivalently: once an unmap procedure has
 * completed, no IOTLB or ATC entry still translates that IOVA to the page it used to map.
 *
 * VT-d 4.x §6.5.2.5 (IOTLB invalidation before Device-TLB invalidation, then wait), §6.1 (software
 * must invalidate cached translations after changing the tables); PCIe Base 6.0 §10.3 (an
 * Invalidation Completion means the ATC no longer holds the translation).
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import { contextDid } from "../model/iommu/context.ts"
import { walk } from "../model/iommu/domain.ts"
import { domainByDid, tablesTranslate } from "../model/iommu/iommu.ts"
import type { State } from "../model/state.ts"
import type { Property } from "./property.ts"

/** Whether an unmap of (did, iova) is in flight (inside the invalidation, caches may lag). */
const unmapping = (state: State, did: number | undefined, iova: number): boolean =>
  state.host.procedures.some((p) => p._tag === "Unmap" && p.did === did && p.iova === iova)

/** The `atc-coherence` property (IOTLB and ATC). */
export const atcCoherence: Property = {
  id: "atc-coherence",
  statement:
    "Outside an unmap still in flight, every IOTLB and ATC entry gives a translation the IOMMU page tables still give.",
  kind: "coherence",
  citation: "VT-d 4.x §6.5.2.5 (IOTLB before Device-TLB invalidation); PCIe Base 6.0 §10.3 (ATC invalidation)",
  check: ({ after }) => {
    for (const e of after.iommu.iotlb) {
      const domain = domainByDid(after.iommu, e.did)
      if ((domain === undefined || walk(domain, e.iova) !== e.page) && !unmapping(after, e.did, e.iova))
        return `IOTLB entry DID ${e.did} ${formatIova(e.iova)} -> page ${e.page} is stale: no unmap of it is in flight and the table no longer maps it`
    }
    for (const fn of after.functions) {
      const did = contextDid(after.iommu.context, fn.rid)
      for (const e of fn.ats.atc)
        if (tablesTranslate(after.iommu, fn.rid, e.iova) !== e.page && !unmapping(after, did, e.iova))
          return `ATC of ${fn.rid} (${fn.owner}) still translates ${formatIova(e.iova)} -> page ${e.page} after its unmap completed (DID ${did ?? "none"})`
    }
    return undefined
  },
}
