/**
 * `explore`: the breadth-first search of `iovcheck explore` as a function. Each scenario is
 * explored over every enabled command (`drivers/exhaustive/bfs.ts`, or the parallel explorer of
 * `drivers/exhaustive/parallel-bfs.ts` on several threads: the same states per depth, verdict and
 * shortest lengths), deduplicating states and checking every property on every transition, to a
 * depth or a state budget; each violation's shortest counterexample is written as an ordinary
 * counterexample file (`OUT/<scenario>/<property>.json`, driver "explore"). No violation is stated
 * as "no violation up to depth K (N distinct states)", never as "safe". The result is the
 * `explore --json` document (`reports/explore-report.ts`), the very type the CLI prints.
 *
 * @module
 */
import { writeCounterexample } from "../cli/outputs.ts"
import { version } from "../cli/version.ts"
import { exploreCounterexampleOf } from "../counterexamples/counterexample-file.ts"
import { type ExploreProgress, type ExploreResult, explore as bfs } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel, type Reduction, scenarioModelSpec } from "../drivers/exhaustive/iovcheck-model.ts"
import { symmetryClasses } from "../drivers/exhaustive/symmetry.ts"
import { type ExplorerPool, exploreParallel, parallelExplorerAvailable } from "../drivers/exhaustive/parallel-bfs.ts"
import type { Command } from "../model/command.ts"
import type { State } from "../model/state.ts"
import { properties } from "../properties/catalogue.ts"
import type { ExploreDocument, ExploreReport } from "../reports/explore-report.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import type { Scenario } from "../scenarios/scenario.ts"

/** Bounds of an exploration and where it writes; every field has the CLI's default. */
export interface ExploreOptions {
  /** Longest trace explored, in commands; default 12. */
  readonly depth?: number
  /** Budget of distinct states per scenario; default 2,000,000 (about 35 bytes each). */
  readonly maxStates?: number
  /** Folder the counterexample files go to (created when absent); default `iovcheck-explore`. */
  readonly out?: string
  /** Checked every 1024 transitions: the search stops when it returns true (a signal). */
  readonly shouldStop?: () => boolean
  /** Called about every `progressMs` milliseconds while the search runs. */
  readonly onProgress?: (p: ExploreProgress) => void
  readonly progressMs?: number
  /**
   * State-space reductions to use (default none): `"symmetry"` counts states that differ by a
   * permutation of interchangeable VFs as one (`drivers/exhaustive/symmetry.ts`); a scenario
   * without interchangeable VFs is explored without it. Verdicts, completed depths and shortest
   * lengths are those of the unreduced search; distinct-state counts are of the reduced one.
   */
  readonly reductions?: ReadonlyArray<Reduction>
}

/** An exploration's bounds and the threads it may use. */
export interface ParallelExploreOptions extends ExploreOptions {
  /** Search threads (default 1: the calling thread); more run the parallel explorer. */
  readonly workers?: number
  /** Search threads to run it on, started once for several explorations (else started for it). */
  readonly pool?: ExplorerPool
}

/** The defaults of `iovcheck explore`: depth, state budget, output folder. */
export const EXPLORE_DEFAULTS = { depth: 12, maxStates: 2_000_000, out: "iovcheck-explore" } as const

const thousands = (n: number): string => n.toLocaleString("en-US")

const searchOptions = (options: ExploreOptions) => {
  const { depth, maxStates } = { ...EXPLORE_DEFAULTS, ...options }
  return {
    depth,
    maxStates,
    now: () => performance.now(),
    ...(options.shouldStop === undefined ? {} : { shouldStop: options.shouldStop }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.progressMs === undefined ? {} : { progressMs: options.progressMs }),
  }
}

/**
 * Explores one scenario on the calling thread and writes its shortest counterexamples; returns its
 * entry of the `explore --json` document. Synchronous: it blocks for the whole search. Throws a
 * Node system error when `out` cannot be written.
 */
export const exploreScenario = (scenario: Scenario, options: ExploreOptions = {}): ExploreReport =>
  reportOf(
    scenario,
    bfs(iovcheckModel(scenario, properties, reductionsFor(scenario, options)), searchOptions(options)),
    options,
    1,
  )

/** The reductions of `options` that apply to `scenario` (symmetry only where it has interchangeable VFs). */
export const reductionsFor = (scenario: Scenario, options: ExploreOptions): ReadonlyArray<Reduction> =>
  (options.reductions ?? []).filter((r) => r !== "symmetry" || symmetryClasses(scenario.topology).length > 0)

/**
 * Threads an exploration runs on: `options.workers`, or 1 where the parallel explorer's compiled
 * thread entry does not exist (the TypeScript sources run directly, as under vitest).
 */
export const explorationThreads = (options: ParallelExploreOptions): number =>
  (options.workers ?? 1) > 1 && parallelExplorerAvailable() ? (options.workers as number) : 1

/**
 * {@link exploreScenario} on `options.workers` search threads (on `options.pool` when it has that
 * many); on the calling thread when one.
 */
export const exploreScenarioParallel = async (
  scenario: Scenario,
  options: ParallelExploreOptions = {},
): Promise<ExploreReport> => {
  const workers = explorationThreads(options)
  if (workers <= 1) return exploreScenario(scenario, options)
  const search = searchOptions(options)
  const spec = scenarioModelSpec(scenario, undefined, reductionsFor(scenario, options))
  const r =
    options.pool !== undefined && options.pool.workers === workers
      ? await options.pool.explore<State, Command>(spec, search)
      : await exploreParallel<State, Command>(spec, { ...search, workers })
  return reportOf(scenario, r, options, workers)
}

/** The report of an exploration's result, its counterexamples written to `out`. */
const reportOf = (
  scenario: Scenario,
  r: ExploreResult<Command>,
  options: ExploreOptions,
  workers: number,
): ExploreReport => {
  const out = options.out ?? EXPLORE_DEFAULTS.out
  const violations = r.violations.map((v) => ({
    property: v.property,
    length: v.commands.length,
    file: writeCounterexample(out, exploreCounterexampleOf(scenario, v, version)),
    message: v.message,
  }))
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
    reductions: [...reductionsFor(scenario, options)],
    reductionRatio: null,
  }
}

/**
 * Explores each scenario in turn (see {@link exploreScenario}) on the calling thread and returns
 * the `explore --json` document. A scenario stopped by the state budget before its depth reports
 * the depth it completed (`depthCompleted`, `stoppedBy: "max-states"`).
 */
export const explore = (
  scenarios: Scenario | ReadonlyArray<Scenario>,
  options: ExploreOptions = {},
): ExploreDocument => ({
  iovcheck: version,
  interrupted: false,
  scenarios: (Array.isArray(scenarios) ? (scenarios as ReadonlyArray<Scenario>) : [scenarios as Scenario]).map((s) =>
    exploreScenario(s, options),
  ),
})
