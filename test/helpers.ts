/**
 * Shared test helpers: catalogue scenarios by id, running a command list through `step` under a
 * scenario's services, and a scenario with a changed policy (the "safe sibling" of a trace).
 */
import { isDeepStrictEqual } from "node:util"
import { Effect } from "effect"
import { fromList, runTrace, type TraceResult } from "../drivers/run-trace.ts"
import type { Command } from "../model/command.ts"
import { enabled } from "../model/enabled.ts"
import { initialState } from "../model/init.ts"
import type { PolicyInput } from "../model/policy.ts"
import type { State, StepResult } from "../model/state.ts"
import { step } from "../model/step.ts"
import { properties } from "../properties/catalogue.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { type Scenario, scenarioLayer } from "../scenarios/scenario.ts"

/** The catalogue scenario with `id`; throws when absent. */
export const scenario = (id: string): Scenario => {
  const s = catalogue().find((x) => x.id === id)
  if (s === undefined) throw new Error(`no scenario ${id}`)
  return s
}

/** The same scenario with some policy knobs changed. */
export const withPolicy = (s: Scenario, policy: PolicyInput): Scenario => ({ ...s, policy: { ...s.policy, ...policy } })

/** Runs commands under the scenario, checking every property and going on past violations. */
export const runCommands = (s: Scenario, commands: ReadonlyArray<Command>): TraceResult =>
  Effect.runSync(
    Effect.provide(
      runTrace(initialState(s.topology), fromList(commands), properties, { record: true, keepGoing: true }),
      scenarioLayer(s),
    ),
  )

/**
 * The index of the first command of `commands` that `enabled` does not offer in the state the
 * commands before it reach from the scenario's initial state (`undefined` when every one is
 * offered): a trace with none is in the exhaustive explorer's search space.
 */
export const firstNotEnabled = (s: Scenario, commands: ReadonlyArray<Command>): number | undefined => {
  let state = initialState(s.topology)
  for (const [i, c] of commands.entries()) {
    if (!enabled(state).some((e) => isDeepStrictEqual(e, c))) return i
    state = stepIn(s, state, c).state
  }
  return undefined
}

/** One step of the model under the scenario's Layer. */
export const stepIn = (s: Scenario, state: State, command: Command): StepResult =>
  Effect.runSync(Effect.provide(step(state, command), scenarioLayer(s)))

/** Runs commands and returns the last step's result (fails the test on a model defect). */
export const stepsIn = (
  s: Scenario,
  commands: ReadonlyArray<Command>,
): { state: State; last: StepResult | undefined } => {
  let state = initialState(s.topology)
  let last: StepResult | undefined
  for (const c of commands) {
    last = stepIn(s, state, c)
    state = last.state
  }
  return { state, last }
}
