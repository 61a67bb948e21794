/**
 * When the cache-coherence properties let a cached translation lag the tables: while the unmap that
 * made it stale is still in flight, since an unmap is a procedure whose invalidations come after
 * the PTE clear (VT-d 4.x §6.5.2.5; PCIe Base 6.0 §10.3). Read from the procedures in flight
 * (architectural state of the host and of the guests' invalidation queues), never from a design knob.
 *
 * @module
 */
import type { Iova, VmId } from "../model/ids.ts"
import { stage1UnmapInFlight } from "../model/nesting/guest-invalidation.ts"
import type { State } from "../model/state.ts"

/** Whether the host's unmap of (`did`, `iova`) is in flight (a flat, single-stage translation). */
export const flatUnmapInFlight = (state: State, did: number | undefined, iova: Iova): boolean =>
  state.host.procedures.some((p) => p._tag === "Unmap" && p.did === did && p.iova === iova)

/**
 * Whether an unmap that can stale a nested translation of one of `vms` is in flight: the host's
 * unmap in the VM's nesting parent (any GPA can sit under any stage-1 IOVA), or the guest's own
 * stage-1 unmap (its invalidations queued, not yet all done).
 */
export const nestedUnmapInFlight = (state: State, vms: ReadonlyArray<VmId>): boolean =>
  vms.some(
    (vm) => stage1UnmapInFlight(state, vm) || state.host.procedures.some((p) => p._tag === "Unmap" && p.vm === vm),
  )
