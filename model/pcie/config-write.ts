/**
 * One path for every write of a function's configuration that a TDI locks (Bus Master Enable, ATS
 * Enable, the MSI-X table): the host's config writes, the VMM's MSI-X programming, a guest's
 * passed-through BME write, a guest-writable interrupt store, a reset. When the function's TDI is
 * CONFIG_LOCKED or RUN and the write changes the configuration it locked, the TDI goes to ERROR
 * (TDISP ECN §11.2.6: "any change to the TDI configuration … while in CONFIG_LOCKED or RUN …
 * transitions the TDI to ERROR"), unless the policy models a device that fails to
 * (`tdiErrorOnConfigChange: "ignored"`).
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { Rid } from "../ids.ts"
import type { State, StepContext } from "../state.ts"
import { configChanged } from "../tdisp/tdi.ts"
import { functionIndex, type PcieFunction, updateFunction } from "./function.ts"

/**
 * Applies `change` to function `rid` and moves its locked TDI to ERROR when the locked
 * configuration changed. Returns the state unchanged (and no events) for an unknown RID or a change
 * that returns the same function.
 */
export const writeFunctionConfig = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  change: (fn: PcieFunction) => PcieFunction,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return { state, events: [] }
  const written = change(fn)
  if (written === fn) return { state, events: [] }
  const tdi = fn.tdi
  const locked = tdi !== undefined && (tdi.state === "CONFIG_LOCKED" || tdi.state === "RUN")
  const toError = locked && ctx.policy.tdiErrorOnConfigChange === "enforced" && configChanged(written)
  const next: PcieFunction = toError && tdi !== undefined ? { ...written, tdi: { ...tdi, state: "ERROR" } } : written
  return {
    state: { ...state, functions: updateFunction(state.functions, index, () => next) },
    events:
      toError && tdi !== undefined
        ? [{ _tag: "TdiStateChanged", rid, from: tdi.state, to: "ERROR", by: "config change" }]
        : [],
  }
}
