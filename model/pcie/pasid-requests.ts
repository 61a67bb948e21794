/**
 * A function's PASID-tagged requests (seed thread 002): DMA with a PASID, possibly execute or
 * privileged, and PRI Page Requests. A VF sends them only when its PF's capability bits allow
 * (PCIe Base 6.0 §9.3.7.14–15: VFs use the PF's PASID/PRI settings); otherwise the request is not
 * sent at all, which the VF's driver cannot see. The IOMMU then checks the (RID, PASID) entry: its
 * presence, Execute Requests Enable and Supervisor Requests Enable (VT-d 4.x §9.6), and for a page
 * request whether the entry accepts them; a refused page request is answered at once with a
 * failure response (VT-d §7.5.1.1), so the device keeps no group for it.
 *
 * @module
 */
import { pasidEntryFlags, pasidOwner, translateRequest } from "../iommu/translate-request.ts"
import { formatIova, type Iova, type Rid } from "../ids.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { pasidSendGuard } from "./pasid-pri.ts"

/** `DevicePasidRequest { rid, pasid, iova, access, privileged }`. */
export const pasidRequest = (
  state: State,
  rid: Rid,
  pasid: number,
  iova: Iova,
  access: "read" | "write" | "execute",
  privileged: boolean,
): StepResult => {
  const refused = pasidSendGuard(
    state,
    rid,
    ["pasidEnable", ...(access === "execute" ? (["exec"] as const) : []), ...(privileged ? (["priv"] as const) : [])],
    true,
  )
  if (refused !== undefined) return refused
  const entry = pasidEntryFlags(state, rid, pasid)
  const fault = (reason: string): StepResult => ({
    state,
    outcome: faulted(reason),
    events: [{ _tag: "DmaFaulted", rid, pasid, access, iova, reason }],
  })
  if (entry === undefined || !entry.enabled) return fault(`no enabled PASID ${pasid} entry for ${rid}`)
  if (access === "execute" && !entry.exec) return fault(`PASID ${pasid} entry has Execute Requests Enable clear`)
  if (privileged && !entry.priv) return fault(`PASID ${pasid} entry has Supervisor Requests Enable clear`)
  const { state: translated, translation, fills } = translateRequest(state, rid, iova, pasid)
  if (translation._tag !== "Translated") return fault(`${formatIova(iova)} not present`)
  return {
    state: translated,
    outcome: ok,
    events: [
      ...fills,
      {
        _tag: "DmaCompleted",
        rid,
        pasid,
        privileged,
        access,
        iova,
        page: translation.page,
        path: translation.source,
      },
    ],
  }
}

/** `DevicePageRequest { rid, pasid, iova, prgi }`: a single-request page request group (Last = 1). */
export const pageRequest = (state: State, rid: Rid, pasid: number, iova: Iova, prgi: number): StepResult => {
  const refused = pasidSendGuard(state, rid, ["priEnable", "pasidEnable"], true)
  if (refused !== undefined) return refused
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (fn.groups.some((g) => g.pasid === pasid && g.prgi === prgi))
    return unchanged(state, rejected(`group ${prgi} of PASID ${pasid} is still outstanding`))
  const entry = pasidEntryFlags(state, rid, pasid)
  const owner = pasidOwner(state, rid, pasid)
  if (entry === undefined || !entry.enabled || !entry.pri || owner === undefined) {
    const reason = `PASID ${pasid} of ${rid} accepts no page requests`
    return { state, outcome: faulted(reason), events: [{ _tag: "PageRequestRefused", rid, pasid, prgi, reason }] }
  }
  const request = { rid, pasid, iova, prgi, sentUnder: owner }
  return {
    state: {
      ...state,
      functions: state.functions.map((f) =>
        f.rid === rid ? { ...f, groups: [...f.groups, { pasid, prgi, sentUnder: owner }] } : f,
      ),
      iommu: { ...state.iommu, prq: [...state.iommu.prq, request] },
    },
    outcome: ok,
    events: [{ _tag: "PageRequestQueued", rid, pasid, prgi, iova, sentUnder: owner }],
  }
}
