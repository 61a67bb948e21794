/**
 * The PF driver changing its PF's PASID/PRI control bits (seed thread 002: "what happens when the
 * PF driver changes state while a VF is assigned"). VFs follow their PF's bits (PCIe Base 6.0
 * §9.3.7.14–15), so a change silently changes what every VF may send. Policy
 * `pfChangesWhileVfsAssigned: "refused"` reference-counts the PF against its assigned VFs and
 * refuses the change while any is assigned.
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import { ok, rejected } from "../outcome.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import type { CapField } from "../pcie/pasid-pri.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"

/** `HostWritePfCap { rid, field, value }`. Rejected for a function without the capability, or refused by policy. */
export const hostWritePfCap = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  field: CapField,
  value: boolean,
): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn?.caps === undefined) return unchanged(state, rejected(`${rid} implements no PASID/PRI capability`))
  const assigned = state.functions.filter((f) => f.pf === rid && f.owner !== "host").map((f) => f.rid)
  if (ctx.policy.pfChangesWhileVfsAssigned === "refused" && assigned.length > 0)
    return unchanged(state, rejected(`refused: VFs ${assigned.join(", ")} of ${rid} are assigned`))
  if (fn.caps[field] === value) return { state, outcome: ok, events: [] }
  const caps = { ...fn.caps, [field]: value }
  return {
    state: { ...state, functions: updateFunction(state.functions, index, (f) => ({ ...f, caps })) },
    outcome: ok,
    events: [{ _tag: "PfCapWritten", rid, field, value }],
  }
}
