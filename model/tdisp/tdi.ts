/**
 * TDISP (PCIe TEE Device Interface Security Protocol, ECN to PCIe Base 6.0, ch. 11): the TDI of an
 * assigned function and its state machine, driven by the TVM through the TSM (seed thread 004).
 *
 * States (TDISP §11.2.2): CONFIG_UNLOCKED -> LOCK_INTERFACE_REQUEST -> CONFIG_LOCKED ->
 * START_INTERFACE_REQUEST -> RUN; STOP_INTERFACE_REQUEST from any state -> CONFIG_UNLOCKED. Any
 * change of the configuration locked at LOCK_INTERFACE (here Bus Master Enable, ATS Enable and the
 * MSI-X table) while CONFIG_LOCKED or RUN moves the TDI to ERROR (§11.2.6), where it must not issue
 * T=1 requests. Policy `tdiErrorOnConfigChange: "ignored"` models a device or TSM that fails to.
 * Only in RUN may the TDI's T=1 requests reach the TVM's private memory; the device's trust mode
 * (T=0 or T=1) changes by a trust flip (`model/guest/dma-api.ts`), and back to T=0 by
 * STOP_INTERFACE, which the driver's DMA ops then follow as the policy `trustFlip` says.
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import type { Message } from "../interrupt/message.ts"
import { ok, rejected } from "../outcome.ts"
import { functionIndex, type PcieFunction, updateFunction } from "../pcie/function.ts"
import { flipDriver } from "../guest/dma-api.ts"
import { writeFunctionConfig } from "../pcie/config-write.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"

/** A TDI state (TDISP §11.2.2). */
export type TdiState = "CONFIG_UNLOCKED" | "CONFIG_LOCKED" | "RUN" | "ERROR"

/** The configuration a TDI locks. */
export interface LockedConfig {
  readonly bme: boolean
  readonly ats: boolean
  readonly msix: ReadonlyArray<Message | null>
}

/** The TDI of a function and the device's trust mode. */
export interface Tdi {
  readonly state: TdiState
  /** The configuration captured at LOCK_INTERFACE, until STOP_INTERFACE. */
  readonly locked: LockedConfig | undefined
  /** The T bit the device puts on its requests: 0 (untrusted) or 1 (trusted). */
  readonly trust: 0 | 1
}

/** A TDISP request to the TSM. */
export type TsmRequest = "LOCK_INTERFACE" | "START_INTERFACE" | "STOP_INTERFACE"

/** The function's configuration as a TDI locks it. */
export const currentConfig = (fn: PcieFunction): LockedConfig => ({ bme: fn.bme, ats: fn.ats.enabled, msix: fn.msix })

/** Whether the function's configuration differs from what its TDI locked. */
export const configChanged = (fn: PcieFunction): boolean =>
  fn.tdi?.locked !== undefined && JSON.stringify(currentConfig(fn)) !== JSON.stringify(fn.tdi.locked)

/**
 * `GuestTsmRequest { vm, rid, request }`: the TVM asks the TSM to move its TDI. Rejected (a TDISP
 * error response) for a function that is not the VM's TDI or a request not allowed in its state.
 */
export const tsmRequest = (ctx: StepContext, state: State, vm: VmId, rid: Rid, request: TsmRequest): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn?.tdi === undefined || fn.owner !== vm)
    return unchanged(state, rejected(`${rid} is not a TDI assigned to ${vm}`))
  if (!state.cvms.includes(vm)) return unchanged(state, rejected(`${vm} is not a confidential VM: no TSM to talk to`))
  const tdi = fn.tdi
  const next: Tdi | undefined =
    request === "LOCK_INTERFACE"
      ? tdi.state === "CONFIG_UNLOCKED"
        ? { ...tdi, state: "CONFIG_LOCKED", locked: currentConfig(fn) }
        : undefined
      : request === "START_INTERFACE"
        ? tdi.state === "CONFIG_LOCKED"
          ? { ...tdi, state: "RUN" }
          : undefined
        : { state: "CONFIG_UNLOCKED", locked: undefined, trust: 0 }
  if (next === undefined) return unchanged(state, rejected(`${request} not allowed in ${tdi.state}`))
  const stopped: State = { ...state, functions: updateFunction(state.functions, index, (f) => ({ ...f, tdi: next })) }
  const changed = { _tag: "TdiStateChanged" as const, rid, from: tdi.state, to: next.state, by: request }
  if (tdi.trust === 0 || next.trust === 1) return { state: stopped, outcome: ok, events: [changed] }
  // STOP_INTERFACE of a T=1 device is the flip in reverse (T=1 -> T=0): the driver's DMA ops follow
  // the device, with the same discipline as the forward flip (see `model/guest/dma-api.ts`).
  const back = flipDriver(ctx, stopped, vm, rid, 0)
  return { state: back.state, outcome: ok, events: [...back.events, changed] }
}

/**
 * `HostWriteTdiConfig { rid, field, value }`: the host writes Bus Master Enable or ATS Enable of a
 * TDI's function. While the TDI is CONFIG_LOCKED or RUN this changes locked configuration: the TDI
 * goes to ERROR unless the policy says the device ignores it. Rejected for a function without a TDI.
 */
export const hostWriteTdiConfig = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  field: "bme" | "ats",
  value: boolean,
): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn?.tdi === undefined) return unchanged(state, rejected(`${rid} has no TDI`))
  // Clearing ATS Enable invalidates the ATC; Invalidate Requests still pending are completed
  // (PCIe Base 6.0 §10.5.1.3: with Enable clear the function issues no translated request).
  const written = writeFunctionConfig(ctx, state, rid, (f) =>
    field === "bme"
      ? { ...f, bme: value }
      : { ...f, ats: value ? { ...f.ats, enabled: true } : { enabled: false, atc: [], invalidations: [] } },
  )
  return {
    state: written.state,
    outcome: ok,
    events: [{ _tag: "TdiConfigWritten", rid, field, value }, ...written.events],
  }
}
