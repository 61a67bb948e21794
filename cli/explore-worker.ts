/**
 * `explore`'s worker thread: explores the scenarios one after the other and posts each report as
 * it completes, and progress while it explores. The coordinator (`explore.ts`) sets the shared stop
 * flag on SIGINT/SIGTERM; the search in progress stops at its next check and reports the levels it
 * completed, and the scenarios not begun are skipped. With several workers, this thread coordinates
 * the parallel explorer's search threads (`drivers/exhaustive/parallel-bfs.ts`).
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import type { ExploreProgress } from "../drivers/exhaustive/bfs.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { ExplorerPool } from "../drivers/exhaustive/parallel-bfs.ts"
import { explorationThreads, exploreScenarioParallel } from "../api/explore.ts"
import type { Reduction } from "../drivers/exhaustive/iovcheck-model.ts"
import type { ExploreReport } from "../reports/explore-report.ts"

/** What the coordinator hands the worker; `stop` is an Int32 flag (non-zero: stop). */
export interface ExploreWorkerInput {
  readonly scenarios: ReadonlyArray<Scenario>
  readonly depth: number
  readonly maxStates: number
  readonly out: string
  readonly stop: SharedArrayBuffer
  /** Search threads per exploration (1: this thread). */
  readonly workers: number
  /** How often to post progress, in milliseconds. */
  readonly progressMs: number
  /** State-space reductions (`--symmetry`: `["symmetry"]`). */
  readonly reductions: ReadonlyArray<Reduction>
}

/** What the worker posts: progress, a report per explored scenario, or the error that ended it. */
export type ExploreWorkerMessage =
  | { readonly _tag: "Progress"; readonly id: string; readonly progress: ExploreProgress }
  | { readonly _tag: "Report"; readonly report: ExploreReport }
  | { readonly _tag: "Crash"; readonly message: string }

/** Explores `input.scenarios` in order, calling `post` with each report; stops early on the flag. */
export const runExploration = async (
  input: ExploreWorkerInput,
  post: (m: ExploreWorkerMessage) => void,
): Promise<void> => {
  const flag = new Int32Array(input.stop)
  const shouldStop = () => Atomics.load(flag, 0) !== 0
  // One set of search threads for every scenario: a thread's start-up is mostly loading modules.
  const workers = explorationThreads(input)
  const pool = workers > 1 ? ExplorerPool.start(workers) : undefined
  try {
    for (const [i, scenario] of input.scenarios.entries()) {
      // The first scenario always reports (up to depth 0 if stopped at once); the rest are skipped.
      if (i > 0 && shouldStop()) break
      const report = await exploreScenarioParallel(scenario, {
        ...input,
        ...(pool === undefined ? {} : { pool }),
        shouldStop,
        onProgress: (progress) => post({ _tag: "Progress", id: scenario.id, progress }),
      })
      post({ _tag: "Report", report })
    }
  } catch (e) {
    post({ _tag: "Crash", message: e instanceof Error ? e.message : String(e) })
  } finally {
    await pool?.close()
  }
}

if (parentPort !== null && (workerData as { exploreWorker?: boolean } | null)?.exploreWorker === true) {
  const port = parentPort
  await runExploration((workerData as { input: ExploreWorkerInput }).input, (m) => port.postMessage(m))
}
