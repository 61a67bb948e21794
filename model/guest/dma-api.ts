/**
 * A confidential VM's memory and DMA API for a TDI (seed thread 004; Linux `dma_map_single`,
 * swiotlb for CoCo guests; TDX/SEV page conversion):
 * - `GuestConvertPage { vm, page, to }`: the TVM converts one of its pages between private and
 *   shared. A page the host's IOMMU tables map cannot become private (host tables may map only
 *   shared pages of a confidential VM), nor one whose unmap is still in flight: the VMM completes
 *   the conversion only after the unmap and its IOTLB flush (TDX: the page is accepted private only
 *   once the host has removed every shared mapping of it).
 * - `GuestDmaMap { vm, rid, page }`: returns a handle whose meaning depends on the DMA ops the
 *   driver has now: in T=0 mode a bypass address, the page's shared GPA (the page must be shared);
 *   in T=1 mode a translated address: the guest writes an IOVA -> page mapping into its vIOMMU
 *   table in private memory (the page must be private), or, without a vIOMMU
 *   (`trustedTranslation: "window-all-private"`), the page's private GPA.
 * - `GuestDmaUnmap { vm, rid, handle }`: undoes a handle with the DMA ops the driver has *now*: in
 *   T=1 mode with a vIOMMU it clears the vIOMMU mapping at the handle's IOVA, whatever made it.
 * - `GuestTrustFlip { vm, rid }`: the device moves from T=0 to T=1 (its TDI must be RUN), policy
 *   `trustFlip`: `"in-flight"` (the driver stays bound, its DMA ops switch, its T=0 handles live
 *   on), `"rebind"` (the driver is unbound and every handle unmapped, the device flips, the driver
 *   is bound again) or `"forbidden"` (rejected, Jason Gunthorpe: "I'd be happy if V1 forbade the
 *   above entirely"). STOP_INTERFACE of a T=1 TDI flips it back to T=0 under the same policy.
 * Handles are numbered from 1, each the lowest free number.
 *
 * @module
 */
import { PAGE_SIZE, type HpaPage, type Rid, type VmId } from "../ids.ts"
import { ok, rejected } from "../outcome.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import type { Event } from "../event.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { type DmaHandle, type Guest, putGuest } from "./guest.ts"
import { byRid, putByKey } from "../keyed.ts"

const isCvm = (state: State, vm: VmId): boolean => state.cvms.includes(vm)

/** `GuestConvertPage { vm, page, to }`. Rejected for a page not the VM's, a non-confidential VM, or a host-mapped page going private. */
export const convertPage = (state: State, vm: VmId, page: HpaPage, to: "private" | "shared"): StepResult => {
  if (!isCvm(state, vm)) return unchanged(state, rejected(`${vm} is not a confidential VM`))
  if (state.memory[page] !== vm) return unchanged(state, rejected(`page ${page} is not ${vm}'s`))
  if ((state.privatePages[page] ?? false) === (to === "private")) return { state, outcome: ok, events: [] }
  if (
    to === "private" &&
    (state.iommu.domains.some((d) => d.ptes.some((p) => p.page === page)) ||
      state.host.procedures.some((p) => p._tag === "Unmap" && !p.pageFreed && p.granules.some((g) => g.page === page)))
  )
    return unchanged(
      state,
      rejected(
        `page ${page} is mapped in host IOMMU tables or its unmap is in flight; the host must finish unmapping it first`,
      ),
    )
  return {
    state: { ...state, privatePages: state.privatePages.map((p, i) => (i === page ? to === "private" : p)) },
    outcome: ok,
    events: [{ _tag: "PageConverted", vm, page, to }],
  }
}

/** The guest's DMA API state for `rid`: its current mode and handles. */
const dmaOf = (guest: Guest, rid: Rid) => guest.dma.find((d) => d.rid === rid) ?? { rid, mode: 0 as const, handles: [] }

const withDma = (guest: Guest, d: Guest["dma"][number]): Guest => ({
  ...guest,
  dma: putByKey(guest.dma, d, byRid),
})

const lowestFree = (used: ReadonlyArray<number>): number => {
  let n = 1
  while (used.includes(n)) n++
  return n
}

/** The confidential guest and its TDI, or why not (the DMA API modelled here is a TVM's). */
const context = (state: State, vm: VmId, rid: Rid): { guest: Guest } | string => {
  if (!isCvm(state, vm)) return `${vm} is not a confidential VM`
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn?.tdi === undefined || fn.owner !== vm) return `${rid} is not a TDI assigned to ${vm}`
  const guest = state.guests.find((g) => g.vm === vm)
  return guest === undefined ? `unknown VM ${vm}` : { guest }
}

/** `GuestDmaMap { vm, rid, page }` (see the module doc). */
export const dmaMap = (ctx: StepContext, state: State, vm: VmId, rid: Rid, page: HpaPage): StepResult => {
  const c = context(state, vm, rid)
  if (typeof c === "string") return unchanged(state, rejected(c))
  if (state.memory[page] !== vm) return unchanged(state, rejected(`page ${page} is not ${vm}'s`))
  const dma = dmaOf(c.guest, rid)
  const priv = state.privatePages[page] ?? false
  const id = lowestFree(dma.handles.map((h) => h.id))
  let handle: DmaHandle
  let guest = c.guest
  if (dma.mode === 0) {
    if (priv) return unchanged(state, rejected(`page ${page} is private: a T=0 mapping needs shared memory`))
    handle = { id, iova: page * PAGE_SIZE, page, mode: 0 }
  } else {
    if (!priv) return unchanged(state, rejected(`page ${page} is shared: a T=1 mapping needs private memory`))
    if (ctx.policy.trustedTranslation === "window-all-private") handle = { id, iova: page * PAGE_SIZE, page, mode: 1 }
    else {
      const iova = state.iovas.find((i) => !guest.viommu.some((m) => m.iova === i))
      if (iova === undefined) return unchanged(state, rejected("the vIOMMU IOVA space is full"))
      handle = { id, iova, page, mode: 1 }
      guest = { ...guest, viommu: [...guest.viommu, { iova, page }].sort((a, b) => a.iova - b.iova) }
    }
  }
  guest = withDma(guest, { ...dma, handles: [...dma.handles, handle].sort((a, b) => a.id - b.id) })
  return {
    state: { ...state, guests: putGuest(state.guests, guest) },
    outcome: ok,
    events: [{ _tag: "DmaMapped", vm, rid, handle: handle.id, iova: handle.iova, page, mode: handle.mode }],
  }
}

/** `GuestDmaUnmap { vm, rid, handle }` (see the module doc). Rejected for an unknown handle. */
export const dmaUnmap = (ctx: StepContext, state: State, vm: VmId, rid: Rid, id: number): StepResult => {
  const c = context(state, vm, rid)
  if (typeof c === "string") return unchanged(state, rejected(c))
  const dma = dmaOf(c.guest, rid)
  const handle = dma.handles.find((h) => h.id === id)
  if (handle === undefined) return unchanged(state, rejected(`${vm} has no DMA handle ${id} for ${rid}`))
  const viaViommu = dma.mode === 1 && ctx.policy.trustedTranslation === "viommu"
  const removed = viaViommu ? c.guest.viommu.filter((m) => m.iova === handle.iova) : []
  let guest: Guest = viaViommu ? { ...c.guest, viommu: c.guest.viommu.filter((m) => m.iova !== handle.iova) } : c.guest
  guest = withDma(guest, { ...dma, handles: dma.handles.filter((h) => h.id !== id) })
  return {
    state: { ...state, guests: putGuest(state.guests, guest) },
    outcome: ok,
    events: [{ _tag: "DmaUnmapped", vm, rid, handle: id, iova: handle.iova, page: handle.page, removed }],
  }
}

/**
 * Switches the driver of `rid` to the DMA ops of trust mode `to`, as policy `trustFlip` says:
 * `"rebind"` unbinds the driver first (every handle unmapped, their vIOMMU mappings cleared) and
 * binds it again; `"in-flight"` keeps every handle as it is. Used by the flip to T=1 and by
 * STOP_INTERFACE of a T=1 TDI (the flip back to T=0).
 */
export const flipDriver = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  rid: Rid,
  to: 0 | 1,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const guest = state.guests.find((g) => g.vm === vm)
  if (guest === undefined) return { state, events: [] }
  const dma = dmaOf(guest, rid)
  const rebind = ctx.policy.trustFlip === "rebind"
  const dropped = new Set(dma.handles.filter((h) => h.mode === 1).map((h) => h.iova))
  const next: Guest = withDma(rebind ? { ...guest, viommu: guest.viommu.filter((m) => !dropped.has(m.iova)) } : guest, {
    rid,
    mode: to,
    handles: rebind ? [] : dma.handles,
  })
  return {
    state: { ...state, guests: putGuest(state.guests, next) },
    events: [
      ...(rebind ? [{ _tag: "DriverRebound" as const, vm, rid, unmapped: dma.handles.length }] : []),
      { _tag: "TrustFlipped" as const, vm, rid, to, handlesKept: rebind ? 0 : dma.handles.length },
    ],
  }
}

/** `GuestTrustFlip { vm, rid }` (see the module doc). Rejected unless the TDI is RUN with the device at T=0. */
export const trustFlip = (ctx: StepContext, state: State, vm: VmId, rid: Rid): StepResult => {
  const c = context(state, vm, rid)
  if (typeof c === "string") return unchanged(state, rejected(c))
  const index = functionIndex(state.functions, rid)
  const tdi = state.functions[index]?.tdi
  if (tdi === undefined || tdi.state !== "RUN") return unchanged(state, rejected(`${rid}'s TDI is not in RUN`))
  if (tdi.trust === 1) return unchanged(state, rejected(`${rid} already sends T=1`))
  if (ctx.policy.trustFlip === "forbidden") return unchanged(state, rejected("flipping a bound device is forbidden"))
  const flipped = flipDriver(ctx, state, vm, rid, 1)
  return {
    state: {
      ...flipped.state,
      functions: updateFunction(flipped.state.functions, index, (f) => ({ ...f, tdi: { ...tdi, trust: 1 } })),
    },
    outcome: ok,
    events: flipped.events,
  }
}
