/**
 * The host's part of PRI (seed thread 002; Linux `iommu_report_device_fault` and iommufd's fault
 * queue; VT-d 4.x §7.5–7.7): routing each queued page request to the current owner of its
 * (RID, PASID), and forwarding the owner's Page Group Response to the device. A request whose
 * PASID has no owner any more is answered by the host with a failure response.
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import { pasidOwner } from "../iommu/translate-request.ts"
import { ok, rejected } from "../outcome.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { putGuest } from "../guest/guest.ts"

/** Completes the device's outstanding group (`pasid`, `prgi`); `undefined` when it has none. */
const completeGroup = (state: State, rid: Rid, pasid: number, prgi: number) => {
  const fn = state.functions.find((f) => f.rid === rid)
  const group = fn?.groups.find((g) => g.pasid === pasid && g.prgi === prgi)
  if (group === undefined) return undefined
  const functions = state.functions.map((f) =>
    f.rid === rid ? { ...f, groups: f.groups.filter((g) => g !== group) } : f,
  )
  return { functions, group }
}

/** `HostRoutePageRequest {}`: routes the oldest queued page request. Rejected when the queue is empty. */
export const routePageRequest = (state: State): StepResult => {
  const [r, ...rest] = state.iommu.prq
  if (r === undefined) return unchanged(state, rejected("the page request queue is empty"))
  const base: State = { ...state, iommu: { ...state.iommu, prq: rest } }
  const owner = pasidOwner(state, r.rid, r.pasid)
  const guest = owner === undefined ? undefined : state.guests.find((g) => g.vm === owner)
  if (owner === undefined || guest === undefined) {
    const done = completeGroup(base, r.rid, r.pasid, r.prgi)
    return {
      state: done === undefined ? base : { ...base, functions: done.functions },
      outcome: ok,
      events: [{ _tag: "PageRequestAborted", rid: r.rid, pasid: r.pasid, prgi: r.prgi }],
    }
  }
  const faults = [...guest.faults, { rid: r.rid, pasid: r.pasid, prgi: r.prgi, iova: r.iova }]
  return {
    state: { ...base, guests: putGuest(base.guests, { ...guest, faults }) },
    outcome: ok,
    events: [
      {
        _tag: "PageRequestDelivered",
        rid: r.rid,
        pasid: r.pasid,
        prgi: r.prgi,
        iova: r.iova,
        to: owner,
        sentUnder: r.sentUnder,
      },
    ],
  }
}

/**
 * `GuestPageResponse { vm, rid, pasid, prgi }`: the guest answers a page request delivered to it;
 * the host forwards the Page Group Response and the device completes the group (a response for a
 * group the device no longer has is dropped by the device). Rejected when no such request was
 * delivered to the guest.
 */
export const guestPageResponse = (state: State, vm: VmId, rid: Rid, pasid: number, prgi: number): StepResult => {
  const guest = state.guests.find((g) => g.vm === vm)
  const fault = guest?.faults.find((f) => f.rid === rid && f.pasid === pasid && f.prgi === prgi)
  if (guest === undefined || fault === undefined)
    return unchanged(state, rejected(`${vm} has no page request ${rid}/${pasid}/${prgi} to answer`))
  const base: State = {
    ...state,
    guests: putGuest(state.guests, { ...guest, faults: guest.faults.filter((f) => f !== fault) }),
  }
  const done = completeGroup(base, rid, pasid, prgi)
  if (done === undefined)
    return { state: base, outcome: ok, events: [{ _tag: "PageResponseDropped", rid, pasid, prgi, from: vm }] }
  return {
    state: { ...base, functions: done.functions },
    outcome: ok,
    events: [{ _tag: "PageResponseDelivered", rid, pasid, prgi, from: vm, groupSentUnder: done.group.sentUnder }],
  }
}
