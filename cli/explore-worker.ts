/**
 * `explore`'s worker thread: explores the scenarios one after the other and posts each report as
 * it completes. The coordinator (`explore.ts`) sets the shared stop flag on SIGINT/SIGTERM; the
 * search in progress stops at its next check and reports the levels it completed, and the
 * scenarios not begun are skipped.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import { exploreScenario } from "../api/explore.ts"
import type { ExploreReport } from "../reports/explore-report.ts"
import type { Scenario } from "../scenarios/scenario.ts"

/** What the coordinator hands the worker; `stop` is an Int32 flag (non-zero: stop). */
export interface ExploreWorkerInput {
  readonly scenarios: ReadonlyArray<Scenario>
  readonly depth: number
  readonly maxStates: number
  readonly out: string
  readonly stop: SharedArrayBuffer
}

/** What the worker posts: a report per explored scenario, or the error that ended it. */
export type ExploreWorkerMessage =
  | { readonly _tag: "Report"; readonly report: ExploreReport }
  | { readonly _tag: "Crash"; readonly message: string }

/** Explores `input.scenarios` in order, calling `post` with each report; stops early on the flag. */
export const runExploration = (input: ExploreWorkerInput, post: (m: ExploreWorkerMessage) => void): void => {
  const flag = new Int32Array(input.stop)
  const shouldStop = () => Atomics.load(flag, 0) !== 0
  try {
    for (const [i, scenario] of input.scenarios.entries()) {
      // The first scenario always reports (up to depth 0 if stopped at once); the rest are skipped.
      if (i > 0 && shouldStop()) break
      post({ _tag: "Report", report: exploreScenario(scenario, { ...input, shouldStop }) })
    }
  } catch (e) {
    post({ _tag: "Crash", message: e instanceof Error ? e.message : String(e) })
  }
}

if (parentPort !== null && (workerData as { exploreWorker?: boolean } | null)?.exploreWorker === true) {
  const port = parentPort
  runExploration((workerData as { input: ExploreWorkerInput }).input, (m) => port.postMessage(m))
}
