/**
 * The documents of a mutation run, as Effect Schemas: a mutant (a text edit of one file of
 * `model/`), what became of it, and the report `npm run mutate` writes to `OUT/report.json`
 * (rendered to `OUT/report.md`). Fields are added, never renamed: the nightly job keeps reports.
 *
 * @module
 */
import { Schema } from "effect"

/** The semantic mutation operators (see `operators.ts`). */
export const OperatorId = Schema.Literals([
  "drop-guard",
  "skip-invalidation",
  "program-drop",
  "program-swap",
  "flip-comparison",
])
export type OperatorId = typeof OperatorId.Type

/** One mutant: replacing `original` at [`start`, `end`) of `file` by `replacement`. */
export const Mutant = Schema.Struct({
  /** Stable across edits elsewhere in the file: `file#function/operator/k` (k-th of its kind there). */
  id: Schema.String,
  file: Schema.String,
  operator: OperatorId,
  /** The enclosing function or constant. */
  function: Schema.String,
  line: Schema.Int,
  column: Schema.Int,
  start: Schema.Int,
  end: Schema.Int,
  original: Schema.String,
  replacement: Schema.String,
  /** One line: what the mutant does. */
  description: Schema.String,
})
export type Mutant = typeof Mutant.Type

/** The oracles, in the order the oracle process runs them (cheapest kills first). */
export const OracleId = Schema.Literals([
  "build",
  "unsafe-catalogue",
  "safe-catalogue-random",
  "safe-catalogue-explore",
  "sweep-random",
  "sweep-explore",
  "crash",
  "timeout",
])
export type OracleId = typeof OracleId.Type

/** What killed a mutant: the oracle, its scenario and what it saw. */
export const Kill = Schema.Struct({
  oracle: OracleId,
  scenario: Schema.NullOr(Schema.String),
  /** The violated property (`model-defect` for a defect), or the expected property that was lost. */
  property: Schema.NullOr(Schema.String),
  message: Schema.String,
})
export type Kill = typeof Kill.Type

/** The status of a mutant after its run. */
export const MutantStatus = Schema.Literals(["killed", "survived", "not-compiled", "timeout", "equivalent"])
export type MutantStatus = typeof MutantStatus.Type

/** A mutant with what became of it. */
export const MutantResult = Schema.Struct({
  mutant: Mutant,
  status: MutantStatus,
  /** For `killed` and `timeout`: what killed it; `not-compiled`: the first compiler error. */
  kill: Schema.NullOr(Kill),
  /** For `equivalent`: why it cannot change what the oracles observe. */
  reason: Schema.NullOr(Schema.String),
  /** For `survived`: every oracle that ran, with its number of checks (scenario passes) and its time (all missed the mutant). */
  missedBy: Schema.Array(Schema.Struct({ oracle: OracleId, checks: Schema.Int, ms: Schema.Number })),
  /** For `survived`: the diagnosis of `blind-spots.ts` (what should catch it), or null when not diagnosed. */
  diagnosis: Schema.NullOr(Schema.Struct({ shouldCatch: Schema.String, diagnosis: Schema.String })),
  /** Unified diff of the mutated file. */
  diff: Schema.String,
  buildMs: Schema.Number,
  oracleMs: Schema.Number,
})
export type MutantResult = typeof MutantResult.Type

/** The oracle's budgets (see `oracle.ts`). */
export const OracleBudget = Schema.Struct({
  seed: Schema.Int,
  runs: Schema.Int,
  maxSteps: Schema.Int,
  unsafeRuns: Schema.Int,
  unsafeMaxSteps: Schema.Int,
  depth: Schema.Int,
  maxStates: Schema.Int,
  sweepRuns: Schema.Int,
  sweepDepth: Schema.Int,
  sweepMaxStates: Schema.Int,
})
export type OracleBudget = typeof OracleBudget.Type

/** Counts of one group of mutants (all, one file, one operator). */
export const Tally = Schema.Struct({
  mutants: Schema.Int,
  killed: Schema.Int,
  survived: Schema.Int,
  notCompiled: Schema.Int,
  timeout: Schema.Int,
  equivalent: Schema.Int,
  /** (killed + timeout) / (killed + timeout + survived), in percent; null when nothing ran. */
  killRate: Schema.NullOr(Schema.Number),
})
export type Tally = typeof Tally.Type

/** The report of a run. */
export const MutationReport = Schema.Struct({
  iovcheck: Schema.String,
  /** Whether the run stopped early (SIGINT/SIGTERM); the mutants not run are not counted. */
  interrupted: Schema.Boolean,
  /** The subset asked for (`--file`, `--operator`, `--limit`), or null for the whole model. */
  subset: Schema.NullOr(Schema.String),
  workers: Schema.Int,
  budget: OracleBudget,
  /** Milliseconds the oracle took on the unmutated model, and the time budget of each mutant. */
  baselineMs: Schema.Number,
  timeoutMs: Schema.Number,
  elapsedMs: Schema.Number,
  totals: Tally,
  byFile: Schema.Array(Schema.Struct({ file: Schema.String, tally: Tally })),
  byOperator: Schema.Array(Schema.Struct({ operator: OperatorId, tally: Tally })),
  /** Killed mutants by the oracle that killed them first. */
  byOracle: Schema.Array(Schema.Struct({ oracle: OracleId, killed: Schema.Int })),
  /** Equivalence entries that match no generated mutant (the code moved on): to remove. */
  staleEquivalences: Schema.Array(Schema.String),
  results: Schema.Array(MutantResult),
})
export type MutationReport = typeof MutationReport.Type
