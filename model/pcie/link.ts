/**
 * A function's state on the link (issue "device lifecycle"): a device may hang or disappear at any
 * time, whatever the host is doing.
 *
 * - `DeviceHang { rid }`: the function stops answering ATS Invalidate Requests (a hung device, or
 *   one reset mid-request); it may go on issuing requests. Procedures waiting for its Invalidation
 *   Completions wait until the host's invalidation timeout (`host/ats-invalidation.ts`).
 * - `DeviceSurpriseRemoval { rid }`: the function is gone (surprise hot removal, a VF vanishing with
 *   SR-IOV disable): it issues and answers nothing more; its posted writes already in the fabric
 *   may still arrive. The host then releases it (`HostReleaseFunction`, vfio's remove path).
 * Neither is undone: a hung function stays hung through resets (a reset is the host's attempt,
 * not a guarantee), a removed one stays removed. Any function with ATS enabled that a VM holds (or
 * a malicious one) may hang; only VFs are removed (a PF's removal would take its VFs with it).
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import { ok, rejected } from "../outcome.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { functionIndex, updateFunction } from "./function.ts"

const setLink = (state: State, rid: Rid, link: "hung" | "removed"): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (fn.link === "removed" || fn.link === link) return unchanged(state, rejected(`${rid} is already ${fn.link}`))
  return {
    state: { ...state, functions: updateFunction(state.functions, index, (f) => ({ ...f, link })) },
    outcome: ok,
    events: [{ _tag: "LinkChanged", rid, link }],
  }
}

/** `DeviceHang { rid }`. Rejected for an unknown, hung or removed function. */
export const hang = (state: State, rid: Rid): StepResult => setLink(state, rid, "hung")

/** `DeviceSurpriseRemoval { rid }`. Rejected for an unknown or removed function. */
export const surpriseRemoval = (state: State, rid: Rid): StepResult => setLink(state, rid, "removed")
