/**
 * The lifecycle of a domain's Domain-ID (issue "tag lifecycle"; VT-d DID, AMD-Vi DomainID, SMMUv3
 * VMID of a stage-2 domain): a small pool (1 … number of VMs) from which a VM's domain takes the
 * lowest free tag when it gets its first user (a function attached to it, a PASID bound to it,
 * a sub-device assigned), and to which it gives the tag back when its last user has gone (vfio
 * type1 frees the hardware domain with its last group; Linux `domain_detach_iommu` frees the DID).
 * The IOTLB is tagged by Domain-ID, so a tag freed while entries tagged with it survive hands those
 * translations to the tag's next owner: freeing flushes the tag first (domain-selective IOTLB
 * invalidation, VT-d §6.5.2.4 with granularity DSI) unless the design frees it without.
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { VmId } from "../ids.ts"
import type { Did } from "./context.ts"
import { iotlbInvalidate } from "./iotlb.ts"
import { domainOfVm, type Iommu, putDomain } from "./iommu.ts"

/**
 * `vm`'s domain with a Domain-ID: its own, or the lowest the pool has free (one no domain holds).
 * Returns the IOMMU, the tag and the allocation's event; `undefined` for an unknown VM.
 */
export const domainTag = (
  iommu: Iommu,
  vm: VmId,
): { readonly iommu: Iommu; readonly did: Did; readonly events: ReadonlyArray<Event> } | undefined => {
  const domain = domainOfVm(iommu, vm)
  if (domain === undefined) return undefined
  if (domain.did !== undefined) return { iommu, did: domain.did, events: [] }
  let did = 1
  while (iommu.domains.some((d) => d.did === did)) did++
  return {
    iommu: putDomain(iommu, { ...domain, did }),
    did,
    events: [{ _tag: "DomainTagAllocated", vm, did }],
  }
}

/** Whether a context or PASID entry still names `did`. */
const inUse = (iommu: Iommu, did: Did): boolean =>
  iommu.context.some((e) => e.kind === "translated" && e.did === did) || iommu.pasids.some((e) => e.did === did)

/**
 * Gives `vm`'s Domain-ID back to the pool when nothing names it any more, after a domain-selective
 * IOTLB flush of it (`flush`) or without one. The IOMMU unchanged while the domain has users.
 */
export const releaseDomainTag = (
  iommu: Iommu,
  vm: VmId,
  flush: boolean,
  command: string,
): { readonly iommu: Iommu; readonly events: ReadonlyArray<Event> } => {
  const domain = domainOfVm(iommu, vm)
  const did = domain?.did
  if (domain === undefined || did === undefined || inUse(iommu, did)) return { iommu, events: [] }
  const flushed = flush ? iotlbInvalidate(iommu.iotlb, did, undefined) : undefined
  return {
    iommu: putDomain({ ...iommu, iotlb: flushed?.iotlb ?? iommu.iotlb }, { ...domain, did: undefined }),
    events: [
      ...(flushed === undefined
        ? []
        : [{ _tag: "IotlbInvalidated" as const, command, did, iova: undefined, dropped: flushed.dropped.length }]),
      { _tag: "DomainTagFreed", vm, did, flushed: flush },
    ],
  }
}
