/**
 * `iotlb-coherence`: the IOMMU's IOTLB refines the page tables. Each cached translation is one the
 * tables still give, except while the unmap that staled it is in flight (`invalidation-in-flight.ts`):
 * once an invalidation, the host's or a guest's, has completed, no IOTLB entry gives a translation
 * for its range that the current tables no longer give.
 *
 * - A single-stage entry (DID, IOVA) -> page must be the walk of domain DID.
 * - A combined (nested) entry (tag, address space, IOVA) -> page must be the two-stage walk of at
 *   least one nested attachment carrying that hardware tag (VT-d (DID, PASID), AMD-Vi
 *   (DomainID, PASID), SMMUv3 (VMID, ASID); seed thread 001).
 *
 * VT-d 4.x §6.1 and §6.5.2.4 (software invalidates cached translations after changing the tables),
 * §6.5.2.6 (PASID-based IOTLB invalidation of first-stage and nested entries); AMD IOMMU §2.4.3;
 * SMMUv3 §4.4 (TLB invalidation) and §3.21 (structure and TLB maintenance).
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import { walk } from "../model/iommu/domain.ts"
import { domainByDid } from "../model/iommu/iommu.ts"
import { combinedWalk } from "../model/nesting/translate.ts"
import type { Property } from "./property.ts"
import { flatUnmapInFlight, nestedUnmapInFlight } from "./invalidation-in-flight.ts"

/** The `iotlb-coherence` property. */
export const iotlbCoherence: Property = {
  id: "iotlb-coherence",
  statement:
    "Outside an unmap still in flight, every IOTLB entry (single-stage or nested) gives a translation the page tables still give.",
  kind: "coherence",
  citation: "VT-d 4.x §6.1, §6.5.2.4, §6.5.2.6; AMD IOMMU §2.4.3; SMMUv3 §4.4; seed thread 001",
  scope: "state",
  check: ({ after, vendor }) => {
    for (const e of after.iommu.iotlb) {
      const domain = domainByDid(after.iommu, e.did)
      if ((domain === undefined || walk(domain, e.iova) !== e.page) && !flatUnmapInFlight(after, e.did, e.iova))
        return `IOTLB entry ${vendor.domainTag} ${e.did} ${formatIova(e.iova)} -> page ${e.page} is stale: no unmap of it is in flight and the table no longer maps it`
    }
    const n = after.nesting
    if (n === undefined) return undefined
    for (const e of n.iotlb) {
      const users = n.attachments.filter((a) => a.domainTag === e.domainTag && a.addressSpace === e.addressSpace)
      if (users.some((a) => combinedWalk(after, a, e.iova) === e.page)) continue
      const vms = [...new Set(users.map((a) => a.vm))]
      if (nestedUnmapInFlight(after, vms)) continue
      const who =
        users.length === 0 ? "no attachment carries the tag" : `no attachment of ${vms.join(", ")} with the tag maps it`
      return `combined IOTLB entry (${e.domainTag}, ${e.addressSpace}) ${formatIova(e.iova)} -> page ${e.page} is stale: ${who}, and no unmap is in flight`
    }
    return undefined
  },
}
