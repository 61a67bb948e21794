/**
 * Shortening by breadth-first search: look for a strictly shorter trace that violates the same
 * property, first with every command kind within a small budget (enough for short traces), then
 * exploring from the initial state with only the command kinds the current trace uses (a swarm of its own kinds), up to the trace's length, within a state budget. BFS order makes what it finds a shortest trace of that restricted model; it is a real
 * trace of the full model, so the result is still a counterexample. This reaches what delta
 * debugging cannot: a shorter trace that is not a sub-list of the current one (e.g. the attacker
 * and victim VMs trading roles).
 *
 * Pure (the model is a value); never returns a longer trace; terminates within the budget.
 *
 * @module
 */
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import type { Command } from "../model/command.ts"
import type { Property } from "../properties/property.ts"
import type { Scenario } from "../scenarios/scenario.ts"

/** Distinct states the search may visit before it gives up and keeps the trace it has. */
export const RESTRICTED_BFS_BUDGET = 200_000

/**
 * Distinct states the unrestricted search (every command kind) may visit first. Small: it only
 * pays off for short traces, where a shorter trace may use a kind the found one does not (a guest
 * reading back its write instead of a device acting on it).
 */
export const UNRESTRICTED_BFS_BUDGET = 5_000

/**
 * The first shortest trace (in BFS order) among the current trace's command kinds when it is no
 * longer than `trace`; else `trace`. Returning the BFS's own trace even at equal length also makes
 * the result canonical: traces of one bug that use the same kinds end up identical.
 */
export const shortenByRestrictedBfs = (
  trace: ReadonlyArray<Command>,
  scenario: Scenario,
  property: Property,
  budget = RESTRICTED_BFS_BUDGET,
): ReadonlyArray<Command> => {
  if (trace.length <= 1) return trace
  const kinds = new Set(trace.map((c) => c._tag))
  const model = iovcheckModel(scenario, [property])
  const any = explore(model, { depth: trace.length - 1, maxStates: UNRESTRICTED_BFS_BUDGET, now: () => 0 })
  const shorter = any.violations.find((v) => v.property === property.id)
  if (shorter !== undefined) return shorter.commands
  const restricted = {
    ...model,
    enabled: (s: Parameters<typeof model.enabled>[0]) => model.enabled(s).filter((c) => kinds.has(c._tag)),
  }
  const r = explore(restricted, { depth: trace.length, maxStates: budget, now: () => 0 })
  const found = r.violations.find((v) => v.property === property.id)
  return found !== undefined && found.commands.length <= trace.length ? found.commands : trace
}
