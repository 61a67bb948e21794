/**
 * The scope rule of invalidations (DESIGN.md §9, "one scope rule decides which cached translations
 * an invalidation covers"): which requesters a domain translates for, and so which device caches a
 * change of that domain's page table can have staled.
 *
 * A domain (DID) translates for every RID whose context entry names it (requests without PASID)
 * and for every (RID, PASID) whose PASID entry names it, enabled or not (an entry whose Enable is
 * clear translates nothing now, but its device may still cache what it translated before). Each of
 * them may hold ATC entries of the domain's translations: without PASID, or tagged with its PASID
 * (PCIe Base 6.0 §10.2.2: a function caches translations per PASID; §10.3.1: an Invalidate Request
 * with a PASID applies to that PASID's translations only). So a change of the domain's PTE for an
 * IOVA must reach each of them with its own PASID (Linux `intel/cache.c` keeps one cache tag per
 * (device, PASID) attached to a domain and flushes the Device-TLB of each, with
 * `qi_flush_dev_iotlb_pasid` for a PASID).
 *
 * A (RID, PASID) whose teardown is in flight stays a user of the domain its entry named until the
 * teardown ends, whatever the teardown program has done to the entry: Linux removes the cache tag
 * only after the teardown's own flushes (`intel_iommu_remove_dev_pasid`: `intel_pasid_tear_down_entry`
 * then `domain_remove_dev_pasid`; SMMUv3 `arm_smmu_remove_dev_pasid`: the CD cleared, then the
 * master leaves the domain's device list), so an unmap that runs meanwhile still invalidates the
 * PASID's ATC entries.
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import type { ContextTable, Did } from "./context.ts"
import type { PasidTable } from "./pasid-table.ts"

/** A (RID, PASID) detaching from domain `did`: its teardown is in flight (`host/pasid-teardown.ts`). */
export interface DetachingPasid {
  readonly rid: Rid
  readonly pasid: number
  readonly did: Did
}

/** A requester a domain translates for: a RID, with the PASID its requests carry (none: `undefined`). */
export interface DomainUser {
  readonly rid: Rid
  readonly pasid: number | undefined
}

/**
 * Every requester `did` translates for, context entries first, each in RID (then PASID) order, then
 * the PASIDs of `detaching` still detaching from `did`, each once.
 */
export const domainUsers = (
  iommu: { readonly context: ContextTable; readonly pasids: PasidTable },
  did: Did,
  detaching: ReadonlyArray<DetachingPasid> = [],
): ReadonlyArray<DomainUser> => {
  const attached: Array<DomainUser> = [
    ...iommu.context
      .filter((e) => e.kind === "translated" && e.did === did)
      .map((e) => ({ rid: e.rid, pasid: undefined })),
    ...iommu.pasids.filter((e) => e.did === did).map((e) => ({ rid: e.rid, pasid: e.pasid })),
  ]
  const more = detaching.filter((d) => d.did === did && !attached.some((u) => u.rid === d.rid && u.pasid === d.pasid))
  return [...attached, ...more.map((d) => ({ rid: d.rid, pasid: d.pasid }))]
}

/**
 * The domain whose translations a request of `rid` with `pasid` goes through on the flat path: the
 * PASID entry's (present, enabled or not) or the context entry's; `undefined` for none or
 * pass-through.
 */
export const domainOfRequester = (
  iommu: { readonly context: ContextTable; readonly pasids: PasidTable },
  rid: Rid,
  pasid: number | undefined,
): Did | undefined => {
  if (pasid !== undefined) return iommu.pasids.find((e) => e.rid === rid && e.pasid === pasid)?.did
  const e = iommu.context.find((c) => c.rid === rid)
  return e?.kind === "translated" ? e.did : undefined
}
