/**
 * A function leaving its owner (DESIGN.md §9, "shared mechanisms"): the one place that releases
 * everything the owner had through the function, used by every path a function leaves a VM on
 * (reassignment today; release to the host and reset in the lifecycle).
 *
 * What vfio and the IOMMU driver undo when a device leaves a VM (Linux `vfio_pci_core_close_device`
 * → `vfio_pci_core_disable`: `vfio_pci_set_irqs_ioctl(… VFIO_IRQ_SET_DATA_NONE …)` frees the IRQs and
 * so their IRTEs (`intel_irq_remapping_free` clears the IRTE and flushes the IEC), then
 * `pci_reset_function` (FLR, PCIe Base 6.0 §6.6.2); iommufd's detach tears the device's PASIDs
 * down and auto-responds its pending faults; `iommufd_vdevice_destroy` drops its vRID):
 * - its IRTEs (SID = the function's RID): cleared, with an IEC invalidation of each handle; an IRTE
 *   programming of one of its entries still in flight is abandoned;
 * - its PASID entries: cleared; their page requests drained (queued, delivered to a guest and not
 *   answered) and a PASID procedure in flight for it abandoned, since what it waited for is gone;
 * - the function itself is reset (FLR): MSI-X table entries back to unprogrammed (masked), ATC
 *   emptied, pending ATS Invalidate Requests discarded (the device will never complete them, and
 *   holds no translation they could be about), outstanding page request groups forgotten;
 * - its TDI is stopped (the TSM's STOP_INTERFACE: CONFIG_UNLOCKED, T=0) before the reset;
 * - under nesting, its nested attachments are detached (with their flush) and its vRID is removed
 *   from the old VM's virtual IOMMU (`vRidOnReassign: "remove"`) or kept (`"keep"`);
 * - vfio's emulated PASID/PRI capability of the function, and the old guest's driver state for it
 *   (its capability writes, its DMA API handles and the vIOMMU mappings they made), are gone with
 *   the device.
 * The context entry is the caller's: the new VM's domain, or none.
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { Rid, VmId } from "../ids.ts"
import { invalidateIec, writeIrte } from "../iommu/interrupt-remapping.ts"
import { domainOfVm } from "../iommu/iommu.ts"
import { ok, rejected } from "../outcome.ts"
import { atsReset } from "../pcie/ats.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import { detachAll } from "../nesting/stage1.ts"
import { putVrids, viommuOf, vridOf } from "../nesting/nesting.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { attachFunction } from "./vfio.ts"

/** What a release freed, for its event. */
export interface Released {
  readonly irtes: ReadonlyArray<number>
  readonly pasids: ReadonlyArray<number>
  readonly pageRequests: number
  readonly atcEntries: number
  readonly handles: number
  /** The old VM's vRID entry left pointing at the function (`vRidOnReassign: "keep"`), if any. */
  readonly staleVrid: Rid | undefined
}

/**
 * Releases everything the current owner of `rid` had through it (see the module doc) and leaves
 * the function host-owned with no context entry. Returns the new state, what was released and the
 * events; the state unchanged for an unknown RID or a host-owned function.
 */
export const releaseFunction = (
  ctx: StepContext,
  state: State,
  rid: Rid,
): { readonly state: State; readonly released: Released | undefined; readonly events: ReadonlyArray<Event> } => {
  const fn = state.functions[functionIndex(state.functions, rid)]
  if (fn === undefined || fn.owner === "host") return { state, released: undefined, events: [] }
  const from: VmId = fn.owner
  const events: Array<Event> = []

  // Nesting: detach (with the flush detach does), then the vRID.
  let s = detachAll(state, rid)
  let staleVrid: Rid | undefined
  if (s.nesting !== undefined) {
    const old = vridOf(s.nesting, from, rid)
    if (ctx.policy.vRidOnReassign === "keep") staleVrid = old
    else
      s = {
        ...s,
        nesting: putVrids(
          s.nesting,
          from,
          (viommuOf(s.nesting, from)?.vrids ?? []).filter((e) => e.rid !== rid),
        ),
      }
  }

  // Interrupts: the IRTEs validated against this RID, and any programming of its entries.
  let ir = s.iommu.interrupts
  const irtes: Array<number> = []
  ir.irt.forEach((e, handle) => {
    if (e !== null && e.sid === rid) irtes.push(handle)
  })
  for (const handle of irtes) ir = invalidateIec(writeIrte(ir, handle, null), handle)

  // PASIDs: entries cleared, page requests drained, procedures about them abandoned.
  const pasids = s.iommu.pasids.filter((e) => e.rid === rid).map((e) => e.pasid)
  const prq = s.iommu.prq.filter((r) => r.rid !== rid)
  const delivered = s.guests.reduce((n, g) => n + g.faults.filter((f) => f.rid === rid).length, 0)
  const pageRequests = s.iommu.prq.length - prq.length + delivered
  const procedures = s.host.procedures.filter(
    (p) =>
      !(p._tag === "ProgramIrte" && p.iface === rid) &&
      !((p._tag === "PasidTeardown" || p._tag === "PasidEntryUpdate") && p.rid === rid),
  )

  // The old guest's driver state for the device.
  const guests = s.guests.map((g) => {
    const faults = g.faults.filter((f) => f.rid !== rid)
    if (g.vm !== from) return faults.length === g.faults.length ? g : { ...g, faults }
    const dma = g.dma.find((d) => d.rid === rid)
    const viaViommu = new Set((dma?.handles ?? []).filter((h) => h.mode === 1).map((h) => h.iova))
    return {
      ...g,
      faults,
      capWrites: g.capWrites.filter((w) => w.rid !== rid),
      dma: g.dma.filter((d) => d.rid !== rid),
      viommu: g.viommu.filter((m) => !viaViommu.has(m.iova)),
    }
  })
  const handles = s.guests.find((g) => g.vm === from)?.dma.find((d) => d.rid === rid)?.handles.length ?? 0

  // The function: TDI stopped, then FLR.
  const index = functionIndex(s.functions, rid)
  const atcEntries = s.functions[index]?.ats.atc.length ?? 0
  const tdiState = s.functions[index]?.tdi?.state
  if (tdiState !== undefined && tdiState !== "CONFIG_UNLOCKED")
    events.push({ _tag: "TdiStateChanged", rid, from: tdiState, to: "CONFIG_UNLOCKED", by: "STOP_INTERFACE" })
  const functions = updateFunction(s.functions, index, (f) => ({
    ...f,
    owner: "host",
    ats: atsReset(f.ats.enabled),
    msix: f.msix.map(() => null),
    groups: [],
    tdi: f.tdi === undefined ? undefined : { state: "CONFIG_UNLOCKED", locked: undefined, trust: 0 },
  }))

  const released: Released = { irtes, pasids, pageRequests, atcEntries, handles, staleVrid }
  events.push({ _tag: "FunctionReleased", rid, from, ...released })
  return {
    state: {
      ...s,
      functions,
      guests,
      iommu: {
        ...s.iommu,
        context: s.iommu.context.filter((e) => e.rid !== rid),
        pasids: s.iommu.pasids.filter((e) => e.rid !== rid),
        prq,
        interrupts: ir,
      },
      host: { ...s.host, procedures, vcaps: s.host.vcaps.filter((v) => v.rid !== rid) },
    },
    released,
    events,
  }
}

/**
 * `HostReassignFunction { rid, vm }`: a VF moves from its VM to `vm`: released from the old owner
 * ({@link releaseFunction}), then attached to `vm` as a fresh assignment does. Rejected unless
 * `rid` is a VF assigned to a VM other than `vm`.
 */
export const reassignFunction = (ctx: StepContext, state: State, rid: Rid, vm: VmId): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (domainOfVm(state.iommu, vm) === undefined || fn === undefined)
    return unchanged(state, rejected(`cannot reassign ${rid} to ${vm}`))
  const from = fn.owner
  if (fn.kind !== "vf" || from === "host" || from === vm)
    return unchanged(state, rejected(`${rid} is not a VF assigned to another VM than ${vm}`))
  const released = releaseFunction(ctx, state, rid)
  const attached = attachFunction(ctx, released.state, rid, vm)
  return {
    state: attached.state,
    outcome: ok,
    events: [
      ...released.events,
      { _tag: "FunctionReassigned", rid, from, to: vm, staleVrid: released.released?.staleVrid },
      ...attached.events,
    ],
  }
}
