/**
 * How reports show a trace's procedures: the program of each procedure the trace runs (the
 * scenario's own, or its knobs' preset), and after each step where every procedure in flight
 * stands in its program, so a reader sees which operation of their design an interleaving hit.
 *
 * @module
 */
import type { StepRecord } from "../drivers/run-trace.ts"
import { resolvePolicy } from "../model/policy.ts"
import {
  describePosition,
  describeProgram,
  PROCEDURE_NAMES,
  type ProceduresInput,
  resolvePrograms,
} from "../model/programs.ts"
import type { Scenario } from "../scenarios/scenario.ts"

/** The programs a scenario's procedures run. */
const programsOf = (scenario: Scenario) => resolvePrograms(resolvePolicy(scenario.policy), scenario.procedures)

/**
 * The programs of the procedures a trace runs, as `[name, one line, given]` in order of first use;
 * `given` tells a program the scenario states from a preset.
 */
export const programsUsed = (
  scenario: Scenario,
  steps: ReadonlyArray<StepRecord>,
): ReadonlyArray<{ readonly name: string; readonly program: string; readonly given: boolean }> => {
  const programs = programsOf(scenario)
  const names: Array<keyof ProceduresInput> = []
  for (const s of steps)
    for (const p of s.after.host.procedures) {
      const name = PROCEDURE_NAMES[p._tag]
      if (!names.includes(name)) names.push(name)
    }
  return names.map((name) => ({
    name,
    program: describeProgram(programs, name),
    given: scenario.procedures?.[name] !== undefined,
  }))
}

/** After each step, where each procedure in flight stands (one line each). */
export const positionsAfter = (
  scenario: Scenario,
  steps: ReadonlyArray<StepRecord>,
): ReadonlyArray<ReadonlyArray<string>> => {
  const programs = programsOf(scenario)
  return steps.map((s) => s.after.host.procedures.map((p) => describePosition(programs, p)))
}
