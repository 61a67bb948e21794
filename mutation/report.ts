/**
 * The mutation report: counts (all, per file, per operator, per killing oracle) and its Markdown
 * rendering, with every survivor's diff, the oracles that missed it and its diagnosis, the
 * equivalent mutants with their reasons, and the mutants that did not compile.
 *
 * @module
 */
import { Schema } from "effect"
import { renderTable } from "../reports/table.ts"
import { type MutantResult, MutationReport, type OperatorId, type OracleId, type Tally } from "./report-schema.ts"

/** Counts of a group of results, with its kill rate (equivalent and not-compiled mutants excluded). */
export const tally = (results: ReadonlyArray<MutantResult>): Tally => {
  const count = (status: MutantResult["status"]) => results.filter((r) => r.status === status).length
  const killed = count("killed")
  const timeout = count("timeout")
  const survived = count("survived")
  const judged = killed + timeout + survived
  return {
    mutants: results.length,
    killed,
    survived,
    notCompiled: count("not-compiled"),
    timeout,
    equivalent: count("equivalent"),
    killRate: judged === 0 ? null : Math.round((1000 * (killed + timeout)) / judged) / 10,
  }
}

const groupBy = <K extends string>(
  results: ReadonlyArray<MutantResult>,
  key: (r: MutantResult) => K,
): ReadonlyArray<[K, ReadonlyArray<MutantResult>]> => {
  const groups = new Map<K, Array<MutantResult>>()
  for (const r of results) {
    const k = key(r)
    const g = groups.get(k) ?? []
    g.push(r)
    groups.set(k, g)
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The parts of a report the run supplies. */
export interface ReportInput extends Omit<MutationReport, "totals" | "byFile" | "byOperator" | "byOracle" | "results"> {
  readonly results: ReadonlyArray<MutantResult>
}

/** Assembles the report: the results in mutant order and every count. */
export const mutationReport = (input: ReportInput): MutationReport => {
  const results = [...input.results].sort((a, b) =>
    a.mutant.file === b.mutant.file ? a.mutant.start - b.mutant.start : a.mutant.file < b.mutant.file ? -1 : 1,
  )
  const byOracle = new Map<OracleId, number>()
  for (const r of results)
    if ((r.status === "killed" || r.status === "timeout") && r.kill !== null)
      byOracle.set(r.kill.oracle, (byOracle.get(r.kill.oracle) ?? 0) + 1)
  return {
    ...input,
    totals: tally(results),
    byFile: groupBy(results, (r) => r.mutant.file).map(([file, rs]) => ({ file, tally: tally(rs) })),
    byOperator: groupBy(results, (r) => r.mutant.operator).map(([operator, rs]) => ({
      operator: operator as OperatorId,
      tally: tally(rs),
    })),
    byOracle: [...byOracle.entries()]
      .map(([oracle, killed]) => ({ oracle, killed }))
      .sort((a, b) => b.killed - a.killed),
    results,
  }
}

/** The report as JSON text, encoded by its Schema. */
export const encodeReport = (report: MutationReport): string =>
  `${JSON.stringify(Schema.encodeSync(MutationReport)(report), null, 2)}\n`

const rate = (t: Tally): string => (t.killRate === null ? "-" : `${t.killRate.toFixed(1)}%`)

const tallyRow = (name: string, t: Tally): ReadonlyArray<string> => [
  name,
  String(t.mutants),
  String(t.killed),
  String(t.timeout),
  String(t.survived),
  String(t.notCompiled),
  String(t.equivalent),
  rate(t),
]

const TALLY_HEADER = ["", "mutants", "killed", "timeout", "survived", "not compiled", "equivalent", "kill rate"]

/** A Markdown table (pipes), from a header and rows. */
const markdownTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`),
  ].join("\n")

const minutes = (ms: number): string => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`

/** The terminal summary: totals and per operator. */
export const renderSummary = (report: MutationReport): string =>
  [
    renderTable(TALLY_HEADER, [
      tallyRow("all", report.totals),
      ...report.byOperator.map((o) => tallyRow(o.operator, o.tally)),
    ]),
    "",
    `kill rate ${rate(report.totals)} (killed + timeout over killed + timeout + survived; ${report.totals.equivalent} equivalent and ${report.totals.notCompiled} not compiled excluded); ${minutes(report.elapsedMs)} on ${report.workers} workers`,
  ].join("\n")

/** The Markdown report. */
export const renderMarkdown = (report: MutationReport): string => {
  const survivors = report.results.filter((r) => r.status === "survived")
  const equivalent = report.results.filter((r) => r.status === "equivalent")
  const notCompiled = report.results.filter((r) => r.status === "not-compiled")
  const timeouts = report.results.filter((r) => r.status === "timeout")
  const b = report.budget
  const lines = [
    "# Mutation testing of model/",
    "",
    `iovcheck ${report.iovcheck}; ${report.subset === null ? "every mutant of model/" : `subset: ${report.subset}`}; ${report.workers} workers; ${minutes(report.elapsedMs)}${report.interrupted ? "; **interrupted** (the mutants not run are not counted)" : ""}.`,
    "",
    `**Kill rate ${rate(report.totals)}**: killed + timeout over killed + timeout + survived; equivalent and not-compiled mutants excluded.`,
    "",
    markdownTable(TALLY_HEADER, [tallyRow("all", report.totals)]),
    "",
    `Oracle budget: seed ${b.seed}; safe catalogue ${b.runs} random traces of up to ${b.maxSteps} commands and exploration to depth ${b.depth} (or the scenario's pinned depth, if smaller) within ${b.maxStates} states; unsafe catalogue: witness replay, else ${b.unsafeRuns} traces of up to ${b.unsafeMaxSteps}; pairwise sweep ${b.sweepRuns} traces and depth ${b.sweepDepth} within ${b.sweepMaxStates} states. Baseline (unmutated model) ${Math.round(report.baselineMs / 1000)} s; time budget per mutant ${Math.round(report.timeoutMs / 1000)} s.`,
    "",
    "## By operator",
    "",
    markdownTable(
      TALLY_HEADER,
      report.byOperator.map((o) => tallyRow(o.operator, o.tally)),
    ),
    "",
    "## Killed by (first oracle to notice)",
    "",
    markdownTable(
      ["oracle", "killed"],
      report.byOracle.map((o) => [o.oracle, String(o.killed)]),
    ),
    "",
    "## By file",
    "",
    markdownTable(
      TALLY_HEADER,
      report.byFile.map((f) => tallyRow(f.file, f.tally)),
    ),
    "",
    `## Survivors (${survivors.length})`,
    "",
    ...survivors.flatMap((r) => [
      `### ${r.mutant.id}`,
      "",
      `${r.mutant.file}:${r.mutant.line}:${r.mutant.column}, ${r.mutant.operator}: ${r.mutant.description}`,
      "",
      `Missed by: ${r.missedBy.map((m) => `${m.oracle} (${m.checks} checks, ${(m.ms / 1000).toFixed(1)} s)`).join(", ")}.`,
      "",
      r.diagnosis === null
        ? "Diagnosis: not diagnosed yet."
        : `Should be caught by **${r.diagnosis.shouldCatch}**: ${r.diagnosis.diagnosis}`,
      "",
      "```diff",
      r.diff.trimEnd(),
      "```",
      "",
    ]),
    `## Timeouts (${timeouts.length}, counted as killed)`,
    "",
    ...timeouts.map((r) => `- ${r.mutant.id}: ${r.mutant.description}`),
    "",
    `## Equivalent (${equivalent.length}, excluded from the rate)`,
    "",
    ...equivalent.map((r) => `- ${r.mutant.id}: ${r.mutant.description}. ${r.reason ?? ""}`),
    "",
    ...(report.staleEquivalences.length === 0
      ? []
      : [
          "Stale equivalence entries (no mutant matches them):",
          "",
          ...report.staleEquivalences.map((s) => `- ${s}`),
          "",
        ]),
    `## Not compiled (${notCompiled.length}, excluded from the rate)`,
    "",
    ...notCompiled.map((r) => `- ${r.mutant.id}: ${r.mutant.description}: ${r.kill?.message ?? ""}`),
    "",
  ]
  return lines.join("\n")
}
