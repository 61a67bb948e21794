/**
 * `atc-coherence`: every device's ATC refines the page tables: each cached translation is one the
 * tables still give for that RID and PASID (two stages for a nested attachment), except while the
 * unmap that staled it is in flight (`unmap-in-flight.ts`). Equivalently: once an invalidation,
 * the host's or a guest's, has completed, no ATC entry still translates its range to the page it
 * used to map.
 *
 * VT-d 4.x §6.5.2.5 (IOTLB invalidation before Device-TLB invalidation, then wait); PCIe Base 6.0
 * §10.3 (an Invalidation Completion means the ATC no longer holds the translation); seed thread 001
 * (under nesting the guest's ATC invalidations must reach the pRID, forwarded or synthesized).
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import { contextDid } from "../model/iommu/context.ts"
import { nestedAttachmentFor, referenceTranslate } from "../model/nesting/translate.ts"
import type { Property } from "./property.ts"
import { flatUnmapInFlight, nestedUnmapInFlight } from "./unmap-in-flight.ts"

/** The `atc-coherence` property. */
export const atcCoherence: Property = {
  id: "atc-coherence",
  statement: "Outside an unmap still in flight, every ATC entry gives a translation the IOMMU page tables still give.",
  kind: "coherence",
  citation:
    "VT-d 4.x §6.5.2.5 (IOTLB before Device-TLB invalidation); PCIe Base 6.0 §10.3 (ATC invalidation); seed thread 001",
  check: ({ after }) => {
    for (const fn of after.functions) {
      for (const e of fn.ats.atc) {
        if (referenceTranslate(after, fn.rid, e.iova, e.pasid) === e.page) continue
        const nested = nestedAttachmentFor(after, fn.rid, e.pasid)
        const did = contextDid(after.iommu.context, fn.rid)
        const tolerated =
          nested !== undefined ? nestedUnmapInFlight(after, [nested.vm]) : flatUnmapInFlight(after, did, e.iova)
        if (tolerated) continue
        const pasid = e.pasid === undefined ? "" : ` PASID ${e.pasid}`
        return nested === undefined
          ? `ATC of ${fn.rid} (${fn.owner}) still translates${pasid} ${formatIova(e.iova)} -> page ${e.page} after its unmap completed (DID ${did ?? "none"})`
          : `ATC of ${fn.rid} (${fn.owner}) still translates${pasid} ${formatIova(e.iova)} -> page ${e.page}, which ${nested.vm}'s stage-1 table ${nested.table} and nesting parent do not give, and no unmap is in flight`
      }
    }
    return undefined
  },
}
