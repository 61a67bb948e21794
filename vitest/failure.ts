/**
 * The error a failing scenario test throws: what went wrong in one line, the shrunk trace in the
 * format of `iovcheck replay`, and where its counterexample file is, with the command that replays
 * it and the HTML report beside it.
 *
 * @module
 */
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { replay } from "../drivers/replay.ts"
import { renderReplay } from "../reports/replay-report.ts"
import { shown } from "./counterexample-store.ts"

/** A scenario test's failure; `message` holds the headline, the trace and the file's path. */
export class ScenarioTestFailure extends Error {
  override readonly name = "ScenarioTestFailure"
}

/**
 * The failure of a test that met a counterexample: `headline`, the trace as `iovcheck replay`
 * prints it (under `file`'s own scenario), then the counterexample file (`path`, when written or
 * stored) and how to replay it.
 */
export const traceFailure = (
  headline: string,
  file: CounterexampleFile,
  path: string | undefined,
): ScenarioTestFailure => {
  const where =
    path === undefined
      ? ["counterexample: not written (CI writes none: run vitest locally, or with -u, and commit it)"]
      : [
          `counterexample: ${shown(path)}`,
          `replay:         npx iovcheck replay ${shown(path)}`,
          `report:         ${shown(path.replace(/\.json$/, ".html"))}`,
        ]
  const failure = new ScenarioTestFailure([headline, "", renderReplay(file, replay(file)), "", ...where].join("\n"))
  // The trace is the whole story: no stack of iovcheck's own frames under it.
  failure.stack = `${failure.name}: ${failure.message}`
  return failure
}
