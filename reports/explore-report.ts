/**
 * The report of `iovcheck explore`: the `--json` document (a public interface: fields are added,
 * never renamed) as an Effect Schema, from which its TypeScript types derive, and the table the
 * command prints. The CLI prints the document encoded by {@link ExploreDocument}; the library's
 * `explore` returns the same type.
 *
 * JSON shape:
 * ```json
 * { "iovcheck": "0.1.0", "interrupted": false,
 *   "scenarios": [ { "id": "…", "expected": "safe" | { "violates": ["…"] } | null, "asExpected": true,
 *                    "depthCompleted": 8, "distinctStates": 30495, "transitions": 400000,
 *                    "statesPerSecond": 12000, "stoppedBy": "depth", "verdict": "no-violation",
 *                    "statement": "no violation up to depth 8 (30,495 distinct states)",
 *                    "collisionProbability": { "optimistic": 2.5e-11, "actual": 1e-12 },
 *                    "bytesPerState": 34.2, "elapsedMs": 2500,
 *                    "violations": [ { "property": "…", "length": 6, "file": "…", "message": "…" } ] } ] }
 * ```
 * `verdict` is `"unsafe"` or `"no-violation"` (never "safe": the search is bounded); `statement`
 * says it in words.
 *
 * @module
 */
import { Schema } from "effect"
import { Expectation } from "../scenarios/scenario.ts"
import { renderTable } from "./table.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

/** A shortest counterexample the explorer found, written as a counterexample file. */
export const ExploreViolation = Schema.Struct({
  property: Schema.String.annotate({ description: "The violated property's id (or model-defect)" }),
  length: Count.annotate({ description: "Commands in the shortest counterexample" }),
  file: Schema.String.annotate({ description: "Path of the counterexample file written" }),
  message: Schema.String.annotate({ description: "What the property saw, with the values involved" }),
}).annotate({ identifier: "ExploreViolation" })
/** A shortest counterexample the explorer found. */
export type ExploreViolation = typeof ExploreViolation.Type

/** One scenario's exploration. */
export const ExploreReport = Schema.Struct({
  id: Schema.String.annotate({ description: "The scenario's id" }),
  expected: Schema.NullOr(Expectation).annotate({ description: "The scenario's expectation; null when it has none" }),
  asExpected: Schema.Boolean.annotate({
    description: "Whether the violated properties are exactly the expected ones (none for safe or no expectation)",
  }),
  depthCompleted: Count.annotate({
    description: "Levels explored completely: every trace of at most this many commands was checked",
  }),
  distinctStates: Count.annotate({ description: "Distinct states reached (deduplicated by fingerprint)" }),
  transitions: Count.annotate({ description: "Transitions taken" }),
  statesPerSecond: Count.annotate({ description: "Distinct states per second of wall time" }),
  stoppedBy: Schema.String.annotate({
    description:
      "Why the search stopped: depth, max-states, exhausted, all-violated (every property checked has a shortest counterexample, found in the level after depthCompleted), or interrupted (a signal)",
  }),
  verdict: Schema.Literals(["unsafe", "no-violation"]).annotate({
    description: "unsafe: a property was violated; no-violation: none within the bounds (never 'safe')",
  }),
  statement: Schema.String.annotate({ description: "What was covered, in words" }),
  collisionProbability: Schema.Struct({
    optimistic: NonNegative,
    actual: NonNegative,
  }).annotate({ description: "TLC's two estimates of the probability that a fingerprint collision hid a state" }),
  bytesPerState: NonNegative.annotate({ description: "Bytes of fingerprint table and parent pointers per state" }),
  elapsedMs: NonNegative.annotate({ description: "Wall time of the exploration, in whole milliseconds" }),
  violations: Schema.Array(ExploreViolation),
  statesPerDepth: Schema.Array(Count).annotate({
    description: "Distinct states first reached at each completed depth (index 0: the initial state)",
  }),
  workers: Count.annotate({ description: "Search threads used (1: one thread)" }),
  reductions: Schema.Array(Schema.String).annotate({
    description:
      'State-space reductions that ran: [] (every distinct state explored) or ["symmetry"] (states that differ by a permutation of interchangeable VFs counted once; explore --symmetry)',
  }),
  reductionRatio: Schema.NullOr(NonNegative).annotate({
    description:
      "Distinct states with the reductions / without at the same depth, where both searches ran (npm run bench); null from explore, which runs one",
  }),
}).annotate({ identifier: "ExploreReport" })
/** One scenario's exploration. */
export type ExploreReport = typeof ExploreReport.Type

/** The whole `explore --json` document. */
export const ExploreDocument = Schema.Struct({
  iovcheck: Schema.String.annotate({ description: "The version of iovcheck that ran" }),
  interrupted: Schema.Boolean.annotate({
    description: "True when SIGINT/SIGTERM stopped the run: the last scenario is reported up to its completed depth",
  }),
  scenarios: Schema.Array(ExploreReport),
}).annotate({ identifier: "ExploreDocument", title: "iovcheck explore --json" })
/** The whole `explore --json` document. */
export type ExploreDocument = typeof ExploreDocument.Type

/** The document as JSON text (two-space indented), encoded by its Schema: what `explore --json` prints. */
export const exploreDocumentJson = (document: ExploreDocument): string =>
  JSON.stringify(Schema.encodeSync(ExploreDocument)(document), null, 2)

const thousands = (n: number): string => n.toLocaleString("en-US")

/**
 * The table `explore` prints: scenario, depth completed, distinct states, transitions, states/s,
 * as expected, and the statement; then the worst fingerprint collision probability. Empty when no
 * scenario was reported.
 */
export const renderExploreTable = (document: ExploreDocument): string => {
  const reports = document.scenarios
  if (reports.length === 0) return ""
  const worst = Math.max(...reports.map((r) => r.collisionProbability.optimistic))
  return `${renderTable(
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
  )}\n\nfingerprint collision probability (TLC's estimates): calculated (optimistic) at most ${worst.toExponential(1)}`
}
