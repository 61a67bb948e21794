/**
 * `iovcheck explore [--scenario ID_OR_FILE]... [--depth K] [--max-states N] [--out DIR] [--json]`
 *
 * Breadth-first search of each scenario (default: the whole catalogue) over every enabled command,
 * deduplicating states by 64-bit fingerprint and checking every property on every transition, to
 * depth K or until N distinct states. A violation is reported with its shortest counterexample,
 * written as an ordinary counterexample file (`OUT/<scenario>/<property>.json`, driver "explore")
 * that `iovcheck replay` accepts. No violation is reported as "no violation up to depth K (N
 * distinct states)", never as "safe". Exit codes as `verify`: 0 when every result matches its
 * scenario's expectation, 1 otherwise, 2 on bad usage or input.
 *
 * `--json` document (a public interface: fields are added, never renamed):
 * `{ "iovcheck", "scenarios": [ { "id", "expected", "asExpected", "depthCompleted", "distinctStates",
 * "transitions", "statesPerSecond", "stoppedBy", "verdict", "statement",
 * "collisionProbability": { "optimistic", "actual" }, "bytesPerState",
 * "violations": [ { "property", "length", "file", "message" } ] } ] }`.
 * `verdict` is `"unsafe"` or `"no-violation"`; `statement` says it in words.
 *
 * @module
 */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { exploreCounterexampleOf } from "../counterexamples/counterexample-file.ts"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { properties } from "../properties/catalogue.ts"
import { renderTable } from "../reports/table.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import type { Expectation, Scenario } from "../scenarios/scenario.ts"
import { jsonFlag, outFlag, positiveInt, scenarioFlag } from "./flags.ts"
import { writeCounterexample } from "./outputs.ts"
import { ExitCode, exitWith } from "./usage-error.ts"
import { loadScenarios } from "./verify.ts"
import { version } from "./version.ts"

/** Default bounds of `explore`. */
export const EXPLORE_DEFAULTS = { depth: 12, maxStates: 2_000_000, out: "iovcheck-out" } as const

/** One scenario's exploration, as the `--json` document gives it. */
export interface ExploreReport {
  readonly id: string
  readonly expected: Expectation | null
  readonly asExpected: boolean
  readonly depthCompleted: number
  readonly distinctStates: number
  readonly transitions: number
  readonly statesPerSecond: number
  readonly stoppedBy: string
  readonly verdict: "unsafe" | "no-violation"
  readonly statement: string
  readonly collisionProbability: { readonly optimistic: number; readonly actual: number }
  readonly bytesPerState: number
  readonly violations: ReadonlyArray<{
    readonly property: string
    readonly length: number
    readonly file: string
    readonly message: string
  }>
}

const thousands = (n: number): string => n.toLocaleString("en-US")

/** Explores one scenario and writes its shortest counterexamples. */
export const exploreScenario = (
  scenario: Scenario,
  bounds: { readonly depth: number; readonly maxStates: number; readonly out: string },
): ExploreReport => {
  const r = explore(iovcheckModel(scenario, properties), { ...bounds, now: () => performance.now() })
  const violations = r.violations.map((v) => {
    const file = writeCounterexample(bounds.out, exploreCounterexampleOf(scenario, v, version))
    return { property: v.property, length: v.commands.length, file, message: v.message }
  })
  const exhausted = r.stoppedBy === "exhausted"
  const statement =
    violations.length > 0
      ? `violates ${violations.map((v) => `${v.property} (shortest ${v.length} commands)`).join(", ")}`
      : exhausted
        ? `no violation in the whole state space (${thousands(r.distinctStates)} distinct states, exhausted at depth ${r.depthCompleted})`
        : `no violation up to depth ${r.depthCompleted} (${thousands(r.distinctStates)} distinct states)`
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
    violations,
  }
}

/** The `explore` command. */
export const exploreCommand = Command.make(
  "explore",
  {
    scenario: scenarioFlag,
    depth: Flag.Int("depth").pipe(
      Flag.withDescription("Longest trace explored, in commands"),
      Flag.withDefault(EXPLORE_DEFAULTS.depth),
    ),
    maxStates: Flag.Int("max-states").pipe(
      Flag.withDescription("Budget of distinct states per scenario"),
      Flag.withDefault(EXPLORE_DEFAULTS.maxStates),
    ),
    out: outFlag(EXPLORE_DEFAULTS.out),
    json: jsonFlag("Print the JSON document"),
  },
  (flags) =>
    Effect.gen(function* () {
      const depth = yield* positiveInt("depth", flags.depth)
      const maxStates = yield* positiveInt("max-states", flags.maxStates)
      const scenarios = yield* loadScenarios(flags.scenario)
      const reports: Array<ExploreReport> = []
      for (const scenario of scenarios) {
        const report = exploreScenario(scenario, { depth, maxStates, out: flags.out })
        reports.push(report)
        if (!flags.json) yield* Console.error(`${scenario.id}: ${report.statement}`)
      }
      if (flags.json) yield* Console.log(JSON.stringify({ iovcheck: version, scenarios: reports }, null, 2))
      else {
        yield* Console.log(
          renderTable(
            ["scenario", "depth", "distinct states", "transitions", "states/s", "as expected", "verdict"],
            reports.map((r) => [
              r.id,
              String(r.depthCompleted),
              thousands(r.distinctStates),
              thousands(r.transitions),
              thousands(r.statesPerSecond),
              r.asExpected ? "yes" : "NO",
              r.statement,
            ]),
          ),
        )
        const worst = Math.max(...reports.map((r) => r.collisionProbability.optimistic))
        yield* Console.log(
          `\nfingerprint collision probability (TLC's estimates): calculated (optimistic) at most ${worst.toExponential(1)}`,
        )
      }
      yield* exitWith(reports.every((r) => r.asExpected) ? ExitCode.ok : ExitCode.finding)
    }),
).pipe(
  Command.withDescription("Breadth-first search to a depth bound: shortest counterexamples, or none up to depth K"),
)
