/**
 * One scenario's exhaustive exploration as `explore` reports it: the breadth-first search
 * (`drivers/exhaustive/bfs.ts`) over the scenario's model, its shortest counterexamples written as
 * ordinary counterexample files (`OUT/<scenario>/<property>.json`, driver "explore"), and the
 * statement of what was covered: "violates …", "no violation up to depth K (N distinct states)",
 * never "safe". Run in `explore`'s worker thread (`explore-worker.ts`), so the main thread stays
 * free to receive signals; `shouldStop` ends the search at its next check, and the levels completed
 * by then are what the statement claims.
 *
 * @module
 */
import { exploreCounterexampleOf } from "../counterexamples/counterexample-file.ts"
import { type ExploreProgress, type ExploreResult, explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel, scenarioModelSpec } from "../drivers/exhaustive/iovcheck-model.ts"
import { type ExplorerPool, exploreParallel, parallelExplorerAvailable } from "../drivers/exhaustive/parallel-bfs.ts"
import type { Command } from "../model/command.ts"
import type { State } from "../model/state.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import type { Expectation, Scenario } from "../scenarios/scenario.ts"
import { writeCounterexample } from "./outputs.ts"
import { version } from "./version.ts"

/** One scenario's exploration, as the `--json` document gives it (fields are added, never renamed). */
export interface ExploreReport {
  readonly id: string
  readonly expected: Expectation | null
  readonly asExpected: boolean
  readonly depthCompleted: number
  readonly distinctStates: number
  readonly transitions: number
  readonly statesPerSecond: number
  /** `depth`, `max-states`, `exhausted`, `all-violated`, or `interrupted` (a signal). */
  readonly stoppedBy: string
  readonly verdict: "unsafe" | "no-violation"
  readonly statement: string
  readonly collisionProbability: { readonly optimistic: number; readonly actual: number }
  readonly bytesPerState: number
  readonly elapsedMs: number
  readonly violations: ReadonlyArray<{
    readonly property: string
    readonly length: number
    readonly file: string
    readonly message: string
  }>
  /** Distinct states first reached at each completed depth (index 0: the initial state). */
  readonly statesPerDepth: ReadonlyArray<number>
  /** Search threads used. */
  readonly workers: number
  /** State-space reductions that ran (none yet: every distinct state is explored). */
  readonly reductions: ReadonlyArray<string>
  /** Distinct states with the reductions / without, when some ran; else `null`. */
  readonly reductionRatio: number | null
}

/** Bounds of one exploration, where it writes, the threads it may use, and the stop check (a signal). */
export interface ExploreBounds {
  readonly depth: number
  readonly maxStates: number
  readonly out: string
  /** Search threads (default 1: the calling thread); more run the parallel explorer. */
  readonly workers?: number
  /** Search threads to run it on, started once for several explorations (else started for it). */
  readonly pool?: ExplorerPool
  readonly shouldStop?: () => boolean
  /** Called about every `progressMs` while the search runs. */
  readonly onProgress?: (p: ExploreProgress) => void
  readonly progressMs?: number
}

const thousands = (n: number): string => n.toLocaleString("en-US")

/**
 * Threads an exploration of `bounds` runs on: `bounds.workers`, or 1 where the parallel explorer's
 * compiled thread entry does not exist (the TypeScript sources run directly, as under vitest).
 */
export const explorationThreads = (bounds: ExploreBounds): number =>
  (bounds.workers ?? 1) > 1 && parallelExplorerAvailable() ? (bounds.workers as number) : 1

/**
 * Explores one scenario and writes its shortest counterexamples: on the calling thread, or, with
 * more than one worker, on that many threads (`parallel-bfs.ts`: the same states per depth, verdict
 * and shortest lengths).
 */
export const exploreScenario = async (scenario: Scenario, bounds: ExploreBounds): Promise<ExploreReport> => {
  const workers = explorationThreads(bounds)
  const options = {
    depth: bounds.depth,
    maxStates: bounds.maxStates,
    now: () => performance.now(),
    ...(bounds.shouldStop === undefined ? {} : { shouldStop: bounds.shouldStop }),
    ...(bounds.onProgress === undefined ? {} : { onProgress: bounds.onProgress }),
    ...(bounds.progressMs === undefined ? {} : { progressMs: bounds.progressMs }),
  }
  const spec = scenarioModelSpec(scenario)
  const r =
    workers <= 1
      ? explore(iovcheckModel(scenario, properties), options)
      : bounds.pool !== undefined && bounds.pool.workers === workers
        ? await bounds.pool.explore<State, Command>(spec, options)
        : await exploreParallel<State, Command>(spec, { ...options, workers })
  return reportOf(scenario, r, bounds.out, workers)
}

/** The report of an exploration's result, its counterexamples written to `out`. */
const reportOf = (scenario: Scenario, r: ExploreResult<Command>, out: string, workers: number): ExploreReport => {
  const violations = r.violations.map((v) => {
    const file = writeCounterexample(out, exploreCounterexampleOf(scenario, v, version))
    return { property: v.property, length: v.commands.length, file, message: v.message }
  })
  const interrupted = r.stoppedBy === "interrupted" ? `; interrupted at depth ${r.depthCompleted + 1}` : ""
  const statement =
    violations.length > 0
      ? `violates ${violations.map((v) => `${v.property} (shortest ${v.length} commands)`).join(", ")}${interrupted}`
      : r.stoppedBy === "exhausted"
        ? `no violation in the whole state space (${thousands(r.distinctStates)} distinct states, exhausted at depth ${r.depthCompleted})`
        : `no violation up to depth ${r.depthCompleted} (${thousands(r.distinctStates)} distinct states${interrupted})`
  return {
    id: scenario.id,
    expected: scenario.expected ?? null,
    asExpected: matchesExpectation(
      scenario.expected,
      violations.map((v) => v.property),
    ),
    depthCompleted: r.depthCompleted,
    distinctStates: r.distinctStates,
    transitions: r.transitions,
    statesPerSecond: Math.round(r.distinctStates / Math.max(r.elapsedMs / 1000, 1e-3)),
    stoppedBy: r.stoppedBy,
    verdict: violations.length > 0 ? "unsafe" : "no-violation",
    statement,
    collisionProbability: r.collisionProbability,
    bytesPerState: Math.round(r.bytesPerState * 10) / 10,
    elapsedMs: Math.round(r.elapsedMs),
    violations,
    statesPerDepth: r.statesPerDepth,
    workers,
    reductions: [],
    reductionRatio: null,
  }
}
