/**
 * The summary of a run (`verify`, `explore`, `fuzz`, `merge`) for people: Markdown, with the
 * judgement of each scenario that the JUnit XML (`junit.xml`, see `junit.ts`) and the command's
 * exit code share, so the three always agree. The JSON summary is the command's own `--json`
 * document.
 *
 * Two modes, by what an expected violation that was not found means:
 * - `"failure"` (`verify`, `explore`): the search was the scenario's test; not finding an expected
 *   violation is a failure, and the command exits 1.
 * - `"skipped"` (`fuzz`, `merge`): a time-budgeted search that rotates scenarios proves no absence;
 *   an expected violation not found is skipped, not failed, and only an unexpected violation (or a
 *   regression or crash) fails the run.
 *
 * @module
 */
import type { Expectation } from "../scenarios/scenario.ts"
import { formatExpectation } from "../scenarios/scenario.ts"
import { renderTable } from "./table.ts"

/** What a summary needs of each scenario. */
export interface SummaryScenario {
  readonly id: string
  readonly expected: Expectation | null
  readonly asExpected: boolean
  readonly violations: ReadonlyArray<{ readonly property: string; readonly message: string; readonly file: string }>
  /** Wall time spent on this scenario, when the command measures it per scenario. */
  readonly elapsedMs?: number
}

/** What an expected violation that was not found counts as, and the run's wall time. */
export interface JunitOptions {
  readonly missedExpected: "failure" | "skipped"
  readonly elapsedMs: number
}

/** A scenario's violations against its expectation. */
export interface Judgement {
  /** Violated properties the expectation does not list. */
  readonly unexpected: ReadonlyArray<string>
  /** Properties the expectation lists that were not violated. */
  readonly missing: ReadonlyArray<string>
}

/** The expected properties of an expectation (none for `"safe"` or no expectation). */
export const expectedProperties = (expected: Expectation | null | undefined): ReadonlyArray<string> =>
  expected === null || expected === undefined || expected === "safe" ? [] : expected.violates

/** Compares a scenario's violations with its expectation. */
export const judge = (s: SummaryScenario): Judgement => {
  const want = expectedProperties(s.expected)
  const got = [...new Set(s.violations.map((v) => v.property))]
  return {
    unexpected: got.filter((p) => !want.includes(p)).sort(),
    missing: want.filter((p) => !got.includes(p)),
  }
}

/** Whether the run passes in this mode: no unexpected violation, and (mode `"failure"`) none missing. */
export const passes = (s: SummaryScenario, mode: JunitOptions["missedExpected"]): boolean => {
  const j = judge(s)
  return j.unexpected.length === 0 && (mode === "skipped" || j.missing.length === 0)
}

/** The run summary as Markdown. */
export const summaryMarkdown = (
  title: string,
  scenarios: ReadonlyArray<SummaryScenario>,
  options: JunitOptions,
): string => {
  const judged = scenarios.map((s) => ({ s, j: judge(s) }))
  const unexpected = judged.reduce((n, { j }) => n + j.unexpected.length, 0)
  const expected = judged.reduce((n, { s }) => n + expectedProperties(s.expected).length, 0)
  const missing = judged.reduce((n, { j }) => n + j.missing.length, 0)
  const headline =
    options.missedExpected === "failure"
      ? `${scenarios.filter((s) => passes(s, "failure")).length} of ${scenarios.length} scenarios as expected.`
      : `${unexpected} unexpected violations in ${scenarios.length} scenarios; ${expected - missing} of ${expected} expected violations found (one not found is skipped, not failed: a time-budgeted search proves no absence).`
  return [
    `# ${title}`,
    "",
    headline,
    "",
    "```",
    renderTable(
      ["scenario", "expected", "passes", "violated", "unexpected", "expected, not found"],
      judged.map(({ s, j }) => [
        s.id,
        formatExpectation(s.expected ?? undefined),
        passes(s, options.missedExpected) ? "yes" : "NO",
        s.violations.map((v) => v.property).join(", ") || "-",
        j.unexpected.join(", ") || "-",
        j.missing.join(", ") || "-",
      ]),
    ),
    "```",
    "",
    ...scenarios.flatMap((s) =>
      s.violations.map((v) => `- \`${s.id}\` / \`${v.property}\`: ${v.message} ([file](${v.file}))`),
    ),
    "",
  ].join("\n")
}
