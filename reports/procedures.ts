/**
 * How reports show a trace's procedures: the program of each procedure the trace runs (the
 * scenario's own, or its knobs' preset, as the counterexample file recorded it), and after each
 * step where every procedure in flight stands in its program, so a reader sees which operation of
 * their design an interleaving hit.
 *
 * @module
 */
import { type CounterexampleFile, counterexamplePrograms } from "../counterexamples/counterexample-file.ts"
import type { StepRecord } from "../drivers/run-trace.ts"
import { describePosition, describeProgram, PROCEDURE_NAMES, type ProceduresInput } from "../model/programs.ts"
import { scenarioPrograms } from "../scenarios/scenario.ts"

/** What reports need of a counterexample file to name its programs: the scenario and the recorded programs. */
type ProgramSource = Pick<CounterexampleFile, "scenario" | "programs">

/** A program a trace runs, as reports show it. */
export interface ProgramUsed {
  /** The procedure's name in `procedures` (`unmap`, `pasid-teardown`, …). */
  readonly name: string
  /** The program the replay runs, on one line. */
  readonly program: string
  /** Whether the scenario states it (else it is a preset of the knobs). */
  readonly given: boolean
  /**
   * The program this iovcheck would resolve from the scenario, when it differs from the one the
   * file recorded (a preset changed since the file was written); absent when they agree.
   */
  readonly current?: string
}

/**
 * The programs of the procedures a trace runs, in order of first use: each as one line, whether
 * the scenario states it or a preset, and (format version 2) this version's program when it differs
 * from the recorded one.
 */
export const programsUsed = (file: ProgramSource, steps: ReadonlyArray<StepRecord>): ReadonlyArray<ProgramUsed> => {
  const programs = counterexamplePrograms(file)
  const current = file.programs === undefined ? programs : scenarioPrograms(file.scenario)
  const names: Array<keyof ProceduresInput> = []
  for (const s of steps)
    for (const p of s.after.host.procedures) {
      const name = PROCEDURE_NAMES[p._tag]
      if (!names.includes(name)) names.push(name)
    }
  return names.map((name) => {
    const program = describeProgram(programs, name)
    const now = describeProgram(current, name)
    return {
      name,
      program,
      given: file.scenario.procedures?.[name] !== undefined,
      ...(now === program ? {} : { current: now }),
    }
  })
}

/** After each step, where each procedure in flight stands (one line each). */
export const positionsAfter = (
  file: ProgramSource,
  steps: ReadonlyArray<StepRecord>,
): ReadonlyArray<ReadonlyArray<string>> => {
  const programs = counterexamplePrograms(file)
  return steps.map((s) => s.after.host.procedures.map((p) => describePosition(programs, p)))
}
