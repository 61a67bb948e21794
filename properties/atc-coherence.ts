/**
 * `atc-coherence`: every device's ATC refines the page tables: each cached translation is one the
 * tables still give for that RID and PASID (two stages for a nested attachment), except while an
 * invalidation procedure that covers it is in flight (`invalidation-in-flight.ts`). Equivalently:
 * once an invalidation, the host's or a guest's, has completed, no ATC entry still translates its
 * range to the page it used to map. Only an ATC the IOMMU still honours is a cache of the
 * translation system: a removed function has none, and the translated requests of a function whose
 * context entry accepts no ATS traffic (fenced, blocked, pass-through) are refused, whatever its ATC
 * holds.
 *
 * VT-d 4.x §6.5.2.5 (IOTLB invalidation before Device-TLB invalidation, then wait); PCIe Base 6.0
 * §10.3 (an Invalidation Completion means the ATC no longer holds the translation; an Invalidate
 * Request with a PASID covers that PASID's translations); seed thread 001 (under nesting the
 * guest's ATC invalidations must reach the pRID, forwarded or synthesized).
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import { acceptsAts } from "../model/iommu/iommu.ts"
import { domainOfRequester } from "../model/iommu/scope.ts"
import { nestedAttachmentFor, referenceTranslate } from "../model/nesting/translate.ts"
import { describeFunction } from "../model/pcie/function.ts"
import { atcInvalidationInFlight, nestedUnmapInFlight } from "./invalidation-in-flight.ts"
import type { Property } from "./property.ts"

/** The `atc-coherence` property. */
export const atcCoherence: Property = {
  id: "atc-coherence",
  statement:
    "Outside an invalidation still in flight that covers it, every ATC entry gives a translation the IOMMU page tables still give.",
  kind: "coherence",
  citation:
    "VT-d 4.x §6.5.2.5 (IOTLB before Device-TLB invalidation); PCIe Base 6.0 §10.3 (ATC invalidation); seed thread 001",
  scope: "state",
  check: ({ after, vendor }) => {
    for (const fn of after.functions) {
      if (fn.link === "removed" || !acceptsAts(after.iommu, fn.rid)) continue
      for (const e of fn.ats.atc) {
        const now = referenceTranslate(after, fn.rid, e.iova, e.pasid)
        if (now === e.page) continue
        const nested = nestedAttachmentFor(after, fn.rid, e.pasid)
        const tolerated =
          nested !== undefined
            ? nestedUnmapInFlight(after, [nested.vm])
            : atcInvalidationInFlight(after, fn.rid, e.pasid, e.iova)
        if (tolerated) continue
        const pasid = e.pasid === undefined ? "" : ` PASID ${e.pasid}`
        const gives = now === undefined ? "translate it to nothing" : `give page ${now}`
        if (nested !== undefined)
          return `ATC of ${describeFunction(fn)} still translates${pasid} ${formatIova(e.iova)} -> page ${e.page}, where ${nested.vm}'s stage-1 table ${nested.table} and nesting parent ${gives}, and no invalidation covering it is in flight`
        const did = domainOfRequester(after.iommu, fn.rid, e.pasid)
        const where =
          did === undefined
            ? `${fn.rid}${pasid} has no ${e.pasid === undefined ? "context" : "PASID"} entry any more`
            : `the tables (${vendor.domainTag} ${did}) ${gives}`
        return `ATC of ${describeFunction(fn)} still translates${pasid} ${formatIova(e.iova)} -> page ${e.page}, but ${where}, and no invalidation covering it is in flight`
      }
    }
    return undefined
  },
}
