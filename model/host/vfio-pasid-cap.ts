/**
 * vfio's virtual PASID/PRI capability on a VF (seed thread 002, "vfio/pci: Emulate PASID/PRI
 * capability for VFs"): what the guest reads and what its writes do, by policy `vfPasidCap`.
 * - `hidden`: the VF shows no capability; the guest cannot write one (its PASID is never bound).
 * - `mirror-readonly`: the guest reads the PF's control bits; its writes are dropped ("a capability
 *   with a fixed enable bit representing the state of the PF, not settable by the VF, is
 *   disingenuous to the spec" — Alex Williamson).
 * - `emulated-unenforced`: writes are kept and read back; nothing reaches the hardware or the IOMMU.
 * - `emulated-iommu-enforced`: writes are kept and read back, and the host reprograms every PASID
 *   entry of the VF so the IOMMU blocks what the guest disabled ("relying on the physical IOMMU to
 *   block" — Kevin Tian).
 * A guest writes only the enables of features the capability shows supported (PCIe Base 6.0
 * §7.8.8: an enable whose Supported bit is 0 is hardwired to 0).
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import { ALLOW_ALL, type PasidEntry } from "../iommu/pasid-table.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import { type CapField, CAPS_RESET, governingCaps, type PasidPriBits } from "../pcie/pasid-pri.ts"
import type { PolicyValues } from "../policy.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { putGuest, recordCapWrite } from "../guest/guest.ts"
import { putProcedure, type VirtualCap } from "./host.ts"
import {
  advancePasidEntryUpdate,
  type PasidEntryUpdate,
  pasidEntryUpdateInFlight,
  pasidEntryUpdatePid,
} from "./pasid-entry-update.ts"

/** The entry flags the host programs for a VF's PASID under the policy. */
export const entryFlags = (
  policy: PolicyValues,
  vcap: VirtualCap | undefined,
): Pick<PasidEntry, "enabled" | "exec" | "priv" | "pri"> => {
  if (policy.vfPasidCap !== "emulated-iommu-enforced" || vcap === undefined) return ALLOW_ALL
  const b = vcap.bits
  return { enabled: b.pasidEnable, exec: b.exec, priv: b.priv, pri: b.priEnable }
}

const vcapOf = (state: State, rid: Rid): VirtualCap | undefined => state.host.vcaps.find((v) => v.rid === rid)

/** The VF assigned to `vm` with a PF that implements the capabilities, or a rejection reason. */
const guestVf = (state: State, vm: VmId, rid: Rid): string | undefined => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined || fn.kind !== "vf" || fn.owner !== vm) return `${rid} is not a VF assigned to ${vm}`
  if (governingCaps(state, rid) === undefined) return `${rid}'s PF implements no PASID/PRI capability`
  return undefined
}

/**
 * `GuestWriteVfCap { vm, rid, field, value }`. What vfio does with the write depends on the policy
 * (see the module doc); under `emulated-iommu-enforced` it starts the entry update of
 * `pasid-entry-update.ts`, and the guest's write completes when that does. Rejected for a VF that
 * is not the VM's, under `hidden`, or for a feature the virtual capability shows unsupported;
 * waits while an update of the VF is in flight.
 */
export const guestWriteVfCap = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  rid: Rid,
  field: CapField,
  value: boolean,
): StepResult => {
  const bad = guestVf(state, vm, rid)
  if (bad !== undefined) return unchanged(state, rejected(bad))
  const mode = ctx.policy.vfPasidCap
  if (mode === "hidden") return unchanged(state, rejected(`${rid} shows no PASID/PRI capability`))
  if (pasidEntryUpdateInFlight(state, rid))
    return unchanged(state, waiting(`${rid}'s previous capability write is still being enforced`))
  const vcap = vcapOf(state, rid)
  if (vcap !== undefined && !vcap.supported[field])
    return unchanged(state, rejected(`${field} is not supported on ${rid}'s virtual capability (hardwired 0)`))
  const guest = state.guests.find((g) => g.vm === vm)
  if (guest === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const believing: State = { ...state, guests: putGuest(state.guests, recordCapWrite(guest, rid, field, value)) }
  if (mode === "mirror-readonly")
    return {
      state: believing,
      outcome: ok,
      events: [{ _tag: "VfCapWritten", vm, rid, field, value, effect: "dropped" }],
    }
  const bits: PasidPriBits = { ...(vcap?.bits ?? CAPS_RESET), [field]: value }
  const updated: VirtualCap = { rid, supported: vcap?.supported ?? CAPS_RESET, bits }
  const vcaps = state.host.vcaps.map((v) => (v.rid === rid ? updated : v))
  if (mode === "emulated-unenforced")
    return {
      state: { ...believing, host: { ...believing.host, vcaps } },
      outcome: ok,
      events: [{ _tag: "VfCapWritten", vm, rid, field, value, effect: "stored" }],
    }
  const update: PasidEntryUpdate = {
    _tag: "PasidEntryUpdate",
    pid: pasidEntryUpdatePid(rid),
    rid,
    vm,
    field,
    value,
    pc: 0,
  }
  const started = advancePasidEntryUpdate(
    ctx,
    { ...state, host: putProcedure({ ...state.host, vcaps }, update) },
    update,
  )
  return {
    ...started,
    events: [{ _tag: "VfCapWritten", vm, rid, field, value, effect: "enforced" }, ...started.events],
  }
}

/** `GuestReadVfCap { vm, rid }`: the control bits the guest reads (`null` when no capability is shown). */
export const guestReadVfCap = (ctx: StepContext, state: State, vm: VmId, rid: Rid): StepResult => {
  const bad = guestVf(state, vm, rid)
  if (bad !== undefined) return unchanged(state, rejected(bad))
  if (pasidEntryUpdateInFlight(state, rid))
    return unchanged(state, waiting(`${rid}'s capability write is still being enforced`))
  const mode = ctx.policy.vfPasidCap
  const bits =
    mode === "hidden"
      ? null
      : mode === "mirror-readonly"
        ? (governingCaps(state, rid) ?? null)
        : (vcapOf(state, rid)?.bits ?? CAPS_RESET)
  return { state, outcome: ok, events: [{ _tag: "VfCapRead", vm, rid, bits }] }
}
