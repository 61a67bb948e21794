/**
 * Witnesses of the unsafe catalogue scenarios: for each (scenario, expected property) a shrunk
 * trace that violates it on the unmutated model, found once by the baseline run and replayed
 * against every mutant. Replaying a trace costs milliseconds where a search costs seconds; a
 * mutant that breaks the trace (a changed numbering, a command now rejected) gets the search
 * instead, so it is killed only when the violation itself is gone.
 *
 * @module
 */
import { Effect, Schema } from "effect"
import { search } from "../drivers/random.ts"
import { fromList, MODEL_DEFECT, runTrace } from "../drivers/run-trace.ts"
import { Command } from "../model/command.ts"
import { initialState } from "../model/init.ts"
import type { Property } from "../properties/property.ts"
import { type Scenario, scenarioContext } from "../scenarios/scenario.ts"

/** A trace that violates `property` in `scenario`. */
export const Witness = Schema.Struct({
  scenario: Schema.String,
  property: Schema.String,
  commands: Schema.Array(Command),
})
export type Witness = typeof Witness.Type

/** The witnesses file the baseline writes and each mutant's oracle reads. */
export const Witnesses = Schema.Array(Witness)

/** The properties an unsafe scenario must violate (none for a safe one). */
export const expectedProperties = (s: Scenario): ReadonlyArray<string> =>
  s.expected === undefined || s.expected === "safe" ? [] : s.expected.violates

/** Budget of the search for a violation. */
export interface SearchBudget {
  readonly runs: number
  readonly maxSteps: number
  readonly seed: number
}

/**
 * Searches `scenario` for `checked` and returns what it found: a trace per property found (shrunk
 * when `shrink`), and whether a model defect came up.
 */
export const searchFor = (
  scenario: Scenario,
  checked: ReadonlyArray<Property>,
  budget: SearchBudget,
  shrink: boolean,
): { readonly found: ReadonlyArray<Witness>; readonly defect: string | undefined } => {
  const violations = search(scenario, {
    ...budget,
    properties: checked,
    now: () => performance.now(),
    shrink,
  }).violations
  return {
    found: violations
      .filter((v) => v.property !== MODEL_DEFECT)
      .map((v) => ({ scenario: scenario.id, property: v.property, commands: v.commands })),
    defect: violations.find((v) => v.property === MODEL_DEFECT)?.message,
  }
}

/** Whether `witness` still violates its property in `scenario` (any step); a model defect does not count. */
export const witnessHolds = (scenario: Scenario, witness: Witness, property: Property): boolean =>
  Effect.runSync(
    Effect.provideContext(
      runTrace(initialState(scenario.topology), fromList(witness.commands), [property]),
      scenarioContext(scenario),
    ),
  ).finding?.property === witness.property
