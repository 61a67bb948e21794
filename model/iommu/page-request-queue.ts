/**
 * The IOMMU's page request queue (PRQ): Page Requests a device sent with PRI (PCIe Base 6.0
 * §10.4.1: RID, PASID, address, access, Page Request Group Index), queued by the IOMMU for the
 * host to service (VT-d 4.x §7.5.1 page request queue; SMMUv3 PRI queue; AMD PPR log).
 *
 * `sentUnder` is a history variable for the properties: the owner the PASID entry named when the
 * device sent the request. `step` never reads it; `pri-routing` compares it with where the request
 * and its response end up.
 *
 * @module
 */
import type { FunctionOwner, Iova, Rid } from "../ids.ts"

/** One queued page request (last in its group: the model sends single-request groups). */
export interface PageRequest {
  readonly rid: Rid
  readonly pasid: number
  readonly iova: Iova
  readonly prgi: number
  readonly sentUnder: FunctionOwner
}

/** Drops every queued request of (`rid`, `pasid`); returns the queue and how many were dropped. */
export const drainPasid = (
  prq: ReadonlyArray<PageRequest>,
  rid: Rid,
  pasid: number,
): { readonly prq: ReadonlyArray<PageRequest>; readonly drained: number } => {
  const kept = prq.filter((r) => r.rid !== rid || r.pasid !== pasid)
  return { prq: kept, drained: prq.length - kept.length }
}
