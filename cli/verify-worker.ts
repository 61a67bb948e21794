/**
 * `verify`'s worker threads: each searches the scenarios the coordinator (`verify.ts`) hands it,
 * one at a time, and posts each report when it completes, so several scenarios are searched at
 * once (one per core). A scenario's search is the same on any thread (`api/verify.ts`: seeded and
 * deterministic), so the verdicts do not depend on the number of workers.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import { type VerifyOptions, verifyScenario } from "../api/verify.ts"
import type { ScenarioReport } from "../reports/verify-report.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { isSystemError } from "./exit-codes.ts"

/** What the coordinator sends: a scenario to search (its index in the run), or the end of the work. */
export type VerifyWorkerRequest =
  | { readonly _tag: "Verify"; readonly index: number; readonly scenario: Scenario }
  | { readonly _tag: "Done" }

/**
 * What a worker posts: a scenario's report, or the error that ended its search (`system`: a file
 * system error such as an unwritable output folder, bad input; else an internal error).
 */
export type VerifyWorkerMessage =
  | { readonly _tag: "Report"; readonly index: number; readonly report: ScenarioReport }
  | { readonly _tag: "Crash"; readonly index: number; readonly message: string; readonly system: boolean }

/** Searches one scenario; the message to post. */
export const verifyOne = (index: number, scenario: Scenario, options: VerifyOptions): VerifyWorkerMessage => {
  try {
    return { _tag: "Report", index, report: verifyScenario(scenario, options) }
  } catch (e) {
    return { _tag: "Crash", index, message: e instanceof Error ? e.message : String(e), system: isSystemError(e) }
  }
}

if (parentPort !== null && (workerData as { verifyWorker?: boolean } | null)?.verifyWorker === true) {
  const port = parentPort
  const options = (workerData as { options: VerifyOptions }).options
  port.on("message", (m: VerifyWorkerRequest) => {
    if (m._tag === "Done") port.close()
    else port.postMessage(verifyOne(m.index, m.scenario, options))
  })
}
