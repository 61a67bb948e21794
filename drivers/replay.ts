/**
 * The replay driver (DESIGN.md §5): re-executes a saved counterexample's commands (never its seed)
 * under its inline scenario, recording every step, and compares what happens with what the file
 * recorded.
 *
 * @module
 */
import { Effect } from "effect"
import { type CounterexampleFile, counterexamplePrograms } from "../counterexamples/counterexample-file.ts"
import { initialState } from "../model/init.ts"
import { properties } from "../properties/catalogue.ts"
import { scenarioContext } from "../scenarios/scenario.ts"
import { type Finding, fromList, runTrace, type StepRecord } from "./run-trace.ts"

/**
 * - `reproduced`: the recorded property is violated at the recorded step;
 * - `clean`: the trace runs to its end with no violation (the model or design was fixed);
 * - `different`: violations occur, but not the recorded one at the recorded step.
 */
export type ReplayVerdict = "reproduced" | "clean" | "different"

/** The steps run, every violation met (each property checked at every step) and the verdict. */
export interface ReplayResult {
  readonly steps: ReadonlyArray<StepRecord>
  readonly findings: ReadonlyArray<Finding>
  readonly verdict: ReplayVerdict
}

/**
 * Replays a counterexample file, checking every property at every step and going on past
 * violations (a trace recorded for one property may break another one earlier on the way). The
 * procedures run the file's recorded programs (format version 2), else (version 1) the programs
 * this version resolves from the inline scenario.
 */
export const replay = (file: CounterexampleFile): ReplayResult => {
  const result = Effect.runSync(
    Effect.provideContext(
      runTrace(initialState(file.scenario.topology), fromList(file.commands), properties, {
        record: true,
        keepGoing: true,
      }),
      scenarioContext(file.scenario, counterexamplePrograms(file)),
    ),
  )
  const findings = result.findings
  const verdict: ReplayVerdict = findings.some((f) => f.property === file.property && f.stepIndex === file.stepIndex)
    ? "reproduced"
    : findings.length === 0
      ? "clean"
      : "different"
  return { steps: result.steps, findings, verdict }
}
