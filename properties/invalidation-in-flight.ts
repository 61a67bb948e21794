/**
 * When the cache-coherence properties let a cached translation lag the tables: while an
 * invalidation procedure that covers it is in flight, since every such procedure changes an entry
 * first and invalidates the caches after (VT-d 4.x §6.5.2.5; PCIe Base 6.0 §10.3). Read from the
 * procedures in flight (architectural state of the host and of the guests' invalidation queues),
 * never from a design knob. Each window is as narrow as the procedure's scope:
 * - the host's unmap of (DID, IOVA), and its deferred flush until the batch that holds it is done
 *   (`host/flush-queue.ts`): the IOTLB entry (DID, IOVA) and the ATC entries for that IOVA of every
 *   requester the domain translates for (`model/iommu/scope.ts`);
 * - a PASID teardown of (RID, PASID): that requester's ATC entries of the PASID;
 * - a capability update of a VF (`host/pasid-entry-update.ts`): that VF's ATC entries with a PASID;
 * - a release of a function (`host/release.ts`): all of its ATC entries (its reset or its ATS
 *   invalidation is part of it);
 * - for a nested translation of a VM: the host's unmap in its nesting parent (any GPA can sit under
 *   any stage-1 IOVA), or the guest's own stage-1 unmap (its invalidations queued, not yet done);
 * - for the structure caches: a procedure changing the entry (`entryChangeInFlight`,
 *   `irteChangeInFlight`).
 *
 * @module
 */
import type { Iova, Rid, VmId } from "../model/ids.ts"
import type { Did } from "../model/iommu/context.ts"
import { domainByDid } from "../model/iommu/iommu.ts"
import { domainOfRequester } from "../model/iommu/scope.ts"
import { flushPending } from "../model/host/flush-queue.ts"
import { unmapCovers } from "../model/host/unmap.ts"
import { stage1UnmapInFlight } from "../model/nesting/guest-invalidation.ts"
import { functionRids } from "../model/pcie/function.ts"
import type { ReleaseProcedure } from "../model/host/release.ts"
import type { State } from "../model/state.ts"

/** Whether release `p` changes the entries of `rid`: a RID of one of its members, own or DMA alias. */
const releases = (state: State, p: ReleaseProcedure, rid: Rid): boolean =>
  p.members.some((m) => {
    const fn = state.functions.find((f) => f.rid === m)
    return m === rid || (fn !== undefined && functionRids(fn).includes(rid))
  })

/** Whether the host's unmap of `iova` in the domain that holds `did` now is in flight (a flat, single-stage translation). */
export const flatUnmapInFlight = (state: State, did: Did | undefined, iova: Iova): boolean => {
  const vm = domainByDid(state.iommu, did)?.vm
  return vm !== undefined && (unmapCovers(state, vm, iova) || flushPending(state, vm, iova))
}

/** Whether a procedure in flight covers the flat ATC entry of (`rid`, `pasid`) for `iova`. */
export const atcInvalidationInFlight = (state: State, rid: Rid, pasid: number | undefined, iova: Iova): boolean =>
  flatUnmapInFlight(state, domainOfRequester(state.iommu, rid, pasid), iova) ||
  state.host.procedures.some(
    (p) =>
      (p._tag === "Release" && releases(state, p, rid)) ||
      (pasid !== undefined &&
        ((p._tag === "PasidTeardown" && p.rid === rid && p.pasid === pasid) ||
          (p._tag === "PasidEntryUpdate" && p.rid === rid))),
  )

/**
 * Whether an unmap that can stale a nested translation of one of `vms` is in flight: the host's
 * unmap in the VM's nesting parent, or the guest's own stage-1 unmap.
 */
export const nestedUnmapInFlight = (state: State, vms: ReadonlyArray<VmId>): boolean =>
  vms.some(
    (vm) =>
      stage1UnmapInFlight(state, vm) ||
      state.host.procedures.some((p) => p._tag === "Unmap" && p.vm === vm) ||
      state.host.flushQueue.some((q) => q.vm === vm) ||
      state.host.procedures.some((p) => p._tag === "FlushQueue" && p.batch.some((q) => q.vm === vm)),
  )

/**
 * Whether a procedure that changes `rid`'s entries is in flight: its release (context and PASID
 * entries), or for a PASID entry its teardown or a capability update of the function.
 */
export const entryChangeInFlight = (state: State, rid: Rid, pasid: number | undefined): boolean =>
  state.host.procedures.some(
    (p) =>
      (p._tag === "Release" && releases(state, p, rid)) ||
      (pasid !== undefined &&
        ((p._tag === "PasidTeardown" && p.rid === rid && p.pasid === pasid) ||
          (p._tag === "PasidEntryUpdate" && p.rid === rid))),
  )

/** Whether an IRTE programming of `handle` is in flight (it writes the IRTE before invalidating the IEC). */
export const irteChangeInFlight = (state: State, handle: number): boolean =>
  state.host.procedures.some((p) => p._tag === "ProgramIrte" && p.handle === handle)
