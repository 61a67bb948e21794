/**
 * The report of `iovcheck verify`: the `--json` document (a public interface CI pipelines parse:
 * add fields, never rename) as an Effect Schema, from which its TypeScript types derive, and the
 * verdict table. The CLI prints the document encoded by {@link VerifyReport}; the library's
 * `verify` returns the same type.
 *
 * JSON shape:
 * ```json
 * { "iovcheck": "0.1.0", "seed": 1, "interrupted": false,
 *   "scenarios": [ { "id": "…", "expected": "safe" | { "violates": ["…"] } | null,
 *                    "verdict": "safe" | "unsafe", "asExpected": true, "runs": 1000, "commands": 25000,
 *                    "elapsedMs": 812,
 *                    "violations": [ { "property": "…", "firstFoundMs": 9.6, "shrunkLength": 6,
 *                                      "oneMinimal": true, "stepIndex": 5, "message": "…",
 *                                      "file": "iovcheck-out/<scenario>/<property>.json",
 *                                      "foundBy": "random" | "explore" } ],
 *                    "explored": { "depthCompleted": 8, "distinctStates": 50000,
 *                                  "stoppedBy": "max-states", "elapsedMs": 3400 } | null } ] }
 * ```
 *
 * @module
 */
import { Schema } from "effect"
import { Expectation, formatExpectation } from "../scenarios/scenario.ts"
import { renderTable } from "./table.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Milliseconds = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

/** One violation as the report gives it. */
export const ViolationReport = Schema.Struct({
  property: Schema.String.annotate({ description: "The violated property's id (or model-defect)" }),
  firstFoundMs: Milliseconds.annotate({
    description: "Milliseconds of searching to the first violating trace, before shrinking (0.1 ms resolution)",
  }),
  shrunkLength: Count.annotate({ description: "Commands in the shrunk trace" }),
  oneMinimal: Schema.Boolean.annotate({
    description: "Whether removing any one command of the shrunk trace loses the violation",
  }),
  stepIndex: Count.annotate({ description: "0-based index of the violating command in the shrunk trace" }),
  message: Schema.String.annotate({ description: "What the property saw, with the values involved" }),
  file: Schema.String.annotate({
    description: "Path of the counterexample file written (OUT/<scenario>/<property>.json)",
  }),
  foundBy: Schema.optionalKey(
    Schema.Literals(["random", "explore"]).annotate({
      description:
        "random: the random search found it (its trace shrunk); explore: the bounded exploration after it found it (a shortest trace)",
    }),
  ),
}).annotate({ identifier: "ViolationReport" })
/** One violation as the report gives it. */
export type ViolationReport = typeof ViolationReport.Type

/** What the bounded exploration after the random search covered. */
export const Explored = Schema.Struct({
  depthCompleted: Count.annotate({
    description: "Every trace of at most this many commands was checked for the properties explored",
  }),
  distinctStates: Count.annotate({ description: "Distinct states reached" }),
  stoppedBy: Schema.Literals(["depth", "max-states", "exhausted", "all-violated", "time", "interrupted"]).annotate({
    description:
      "max-states: the budget ran out; exhausted: every reachable state was checked; all-violated: every property explored was violated (the search stops in the level where the last one is, which depthCompleted does not count)",
  }),
  elapsedMs: Milliseconds.annotate({ description: "Wall time of the exploration, in whole milliseconds" }),
}).annotate({ identifier: "Explored" })
/** What the bounded exploration after the random search covered. */
export type Explored = typeof Explored.Type

/** One scenario's verdict. */
export const ScenarioReport = Schema.Struct({
  id: Schema.String.annotate({ description: "The scenario's id" }),
  expected: Schema.NullOr(Expectation).annotate({ description: "The scenario's expectation; null when it has none" }),
  verdict: Schema.Literals(["safe", "unsafe"]).annotate({
    description: "unsafe: a property was violated; safe: the search found no violation",
  }),
  asExpected: Schema.Boolean.annotate({
    description: "Whether the violated properties are exactly the expected ones (none for safe or no expectation)",
  }),
  runs: Count.annotate({ description: "Traces run, all passes, shrinking included" }),
  commands: Count.annotate({ description: "Commands executed, all traces" }),
  elapsedMs: Milliseconds.annotate({ description: "Wall time of the scenario's search, in whole milliseconds" }),
  violations: Schema.Array(ViolationReport),
  explored: Schema.optionalKey(
    Schema.NullOr(Explored).annotate({
      description:
        "The bounded exploration run after the random search for the properties it did not violate; null when turned off (--explore-states 0)",
    }),
  ),
}).annotate({ identifier: "ScenarioReport" })
/** One scenario's verdict. */
export type ScenarioReport = typeof ScenarioReport.Type

/** The whole `verify --json` document. */
export const VerifyReport = Schema.Struct({
  iovcheck: Schema.String.annotate({ description: "The version of iovcheck that ran" }),
  seed: Schema.Int.annotate({ description: "The fast-check seed of every search" }),
  interrupted: Schema.Boolean.annotate({
    description: "True when SIGINT/SIGTERM stopped the run: scenarios holds the completed ones only",
  }),
  scenarios: Schema.Array(ScenarioReport),
}).annotate({ identifier: "VerifyReport", title: "iovcheck verify --json" })
/** The whole `verify --json` document. */
export type VerifyReport = typeof VerifyReport.Type

/** The document as JSON text (two-space indented), encoded by its Schema: what `verify --json` prints. */
export const verifyReportJson = (report: VerifyReport): string =>
  JSON.stringify(Schema.encodeSync(VerifyReport)(report), null, 2)

/**
 * Whether the violated properties match the expectation: `"safe"` or none means no violation;
 * `{ violates }` means exactly those properties.
 */
export const matchesExpectation = (expected: Expectation | undefined, violated: ReadonlyArray<string>): boolean => {
  if (expected === undefined || expected === "safe") return violated.length === 0
  const want = [...new Set(expected.violates)].sort()
  const got = [...new Set(violated)].sort()
  return want.length === got.length && want.every((p, i) => p === got[i])
}

const ms = (x: number): string => (x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`)

/** How far the exploration went: `8` (budget ran out after depth 8), `all 41` (exhausted at 41), `-`. */
const exploredColumn = (e: Explored | null | undefined): string =>
  e === undefined || e === null ? "-" : e.stoppedBy === "exhausted" ? `all ${e.depthCompleted}` : `${e.depthCompleted}`

/**
 * The verdict table: scenario, expected, verdict, as expected, violated properties, shrunk length
 * (`†`: a shortest trace the exploration found), first found, explored (the depth every trace of
 * which the exploration checked; `all K`: every reachable state).
 */
export const renderVerifyTable = (report: VerifyReport): string =>
  renderTable(
    ["scenario", "expected", "verdict", "as expected", "violated", "shrunk length", "first found", "explored"],
    report.scenarios.map((s) => [
      s.id,
      formatExpectation(s.expected ?? undefined),
      s.verdict,
      s.asExpected ? "yes" : "NO",
      s.violations.map((v) => v.property).join(", ") || "-",
      s.violations
        .map((v) => `${v.shrunkLength}${v.foundBy === "explore" ? "†" : ""}${v.oneMinimal ? "" : "*"}`)
        .join(", ") || "-",
      s.violations.map((v) => ms(v.firstFoundMs)).join(", ") || "-",
      exploredColumn(s.explored),
    ]),
  )
