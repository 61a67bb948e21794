/**
 * Function Level Reset (PCIe Base 6.0 §6.6.2), what it does to a function: its ATC is emptied, the
 * ATS Invalidate Requests it had not answered are discarded (no Invalidation Completion will come
 * for them; the host's wait finds none owed), its outstanding page request groups are forgotten,
 * its MSI-X table is masked (entries unusable until programmed again); a TDI in CONFIG_LOCKED or
 * RUN goes to ERROR (TDISP ECN §11.2.6). A removed function has nothing left to reset. A function
 * with no reset method (topology `flr: false`: Linux's `pci_reset_function` returns -ENOTTY, and
 * vfio's open and close go on without a reset) keeps all of it. The one
 * place a function is reset: by the release and reset programs' `reset` operation, and by vfio's
 * open when a function is assigned (`attachOne` in `host/vfio.ts`).
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { Rid } from "../ids.ts"
import type { State } from "../state.ts"
import { atsReset } from "./ats.ts"
import { functionIndex, updateFunction } from "./function.ts"

/**
 * Resets function `rid` (see the module doc): a `FunctionReset` event, or `FunctionNotReset` for a
 * function with no reset method; the state unchanged for an unknown, removed or unresettable one.
 */
export const functionLevelReset = (
  state: State,
  rid: Rid,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined || fn.link === "removed") return { state, events: [] }
  if (fn.flr === false) return { state, events: [{ _tag: "FunctionNotReset", rid, atcEntries: fn.ats.atc.length }] }
  const tdi = fn.tdi
  const toError = tdi !== undefined && (tdi.state === "CONFIG_LOCKED" || tdi.state === "RUN")
  return {
    state: {
      ...state,
      functions: updateFunction(state.functions, index, (f) => ({
        ...f,
        ats: atsReset(f.ats.enabled),
        msix: f.msix.map(() => null),
        groups: [],
        tdi: toError && tdi !== undefined ? { ...tdi, state: "ERROR" } : f.tdi,
      })),
    },
    events: [
      { _tag: "FunctionReset", rid, atcEntries: fn.ats.atc.length, invalidations: fn.ats.invalidations.length },
      ...(toError && tdi !== undefined
        ? [{ _tag: "TdiStateChanged" as const, rid, from: tdi.state, to: "ERROR" as const, by: "FLR" }]
        : []),
    ],
  }
}
