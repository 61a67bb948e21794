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
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
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
}

/** Bounds of one exploration, where it writes, and the stop check (a signal). */
export interface ExploreBounds {
  readonly depth: number
  readonly maxStates: number
  readonly out: string
  readonly shouldStop?: () => boolean
}

const thousands = (n: number): string => n.toLocaleString("en-US")

/** Explores one scenario and writes its shortest counterexamples. */
export const exploreScenario = (scenario: Scenario, bounds: ExploreBounds): ExploreReport => {
  const r = explore(iovcheckModel(scenario, properties), {
    depth: bounds.depth,
    maxStates: bounds.maxStates,
    now: () => performance.now(),
    ...(bounds.shouldStop === undefined ? {} : { shouldStop: bounds.shouldStop }),
  })
  const violations = r.violations.map((v) => {
    const file = writeCounterexample(bounds.out, exploreCounterexampleOf(scenario, v, version))
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
  }
}
