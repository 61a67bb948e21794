/**
 * A guest's writes to the (virtual) Command register of an interface assigned to it: Bus Master
 * Enable. VFIO passes the BME of an assigned function, PF or VF, through to it (Linux
 * `vfio_pci_config.c` lets the guest own the Command register's BME bit). An ADI has no Command register of its own: its function's BME
 * belongs to the host driver, so the write is emulated. For an mdev it is the mediation of seed
 * thread 003: under `mdevMediation: "none"` (the DFL proposal) the write reaches the parent
 * function; the mediating designs trap it and keep the parent's BME as the host set it.
 *
 * @module
 */
import type { VmId } from "../ids.ts"
import { ok, rejected } from "../outcome.ts"
import { writeFunctionConfig } from "../pcie/config-write.ts"
import { requesterOf } from "../pcie/requester.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"

/** `GuestWriteBme { vm, iface, enable }`. Rejected unless the interface is assigned to `vm`. */
export const guestWriteBme = (ctx: StepContext, state: State, vm: VmId, iface: string, enable: boolean): StepResult => {
  const r = requesterOf(state, ctx.policy, iface)
  if (r === undefined || r.owner !== vm) return unchanged(state, rejected(`${iface} is not assigned to ${vm}`))
  const passedThrough = r.kind === "pf" || r.kind === "vf" || (r.kind === "mdev" && ctx.policy.mdevMediation === "none")
  if (!passedThrough)
    return { state, outcome: ok, events: [{ _tag: "GuestWriteTrapped", vm, iface, what: `BME=${enable ? 1 : 0}` }] }
  if (state.functions.find((f) => f.rid === r.rid)?.bme === enable) return { state, outcome: ok, events: [] }
  const written = writeFunctionConfig(ctx, state, r.rid, (f) => ({ ...f, bme: enable }))
  return { state: written.state, outcome: ok, events: [{ _tag: "BmeWritten", rid: r.rid, enable }, ...written.events] }
}
