/**
 * JUnit XML for CI dashboards: the summary of a run (one test case per scenario × property) and a
 * report of counterexample files (one failed test case per file).
 *
 * Run summary (`summaryJunit`), in the mode of `run-summary.ts` (a `model-defect` found is a case
 * of its own, failed):
 * - a violation the scenario does not expect: `<failure>` with the message and the file;
 * - an expected violation not found: `<failure>` (mode `"failure"`: verify, explore) or
 *   `<skipped>` (mode `"skipped"`: fuzz, merge);
 * - otherwise a passing case (an expected violation found names its file in `<system-out>`).
 *
 * `time` attributes are seconds: the suite's is the run's wall time; a case's is its scenario's
 * wall time shared evenly among the scenario's properties (one search checks them all), or, when
 * a command does not time scenarios separately (fuzz, merge), the run's time shared among all cases.
 *
 * Counterexample files (`counterexamplesJunit`): each file is a failed case (a counterexample is a
 * violation) with the message, the violated step and the trace in the failure's text, and the
 * replay's wall time.
 *
 * @module
 */
import { propertyIds } from "../properties/catalogue.ts"
import { expectedProperties, type JunitOptions, type SummaryScenario } from "./run-summary.ts"

const xml = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3)

const document = (suite: string, cases: ReadonlyArray<string>, elapsedMs: number): string => {
  const failures = cases.filter((c) => c.includes("<failure")).length
  const skipped = cases.filter((c) => c.includes("<skipped")).length
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${seconds(elapsedMs)}">
  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(elapsedMs)}">
${cases.join("\n")}
  </testsuite>
</testsuites>
`
}

/** The run summary as JUnit XML: one test case per scenario × property (see the module doc). */
export const summaryJunit = (
  suite: string,
  scenarios: ReadonlyArray<SummaryScenario>,
  options: JunitOptions,
): string => {
  const total = scenarios.length * propertyIds.length
  const cases = scenarios.flatMap((s) =>
    // Every property, and a model defect (not a property) when one was found.
    [...new Set([...propertyIds, ...s.violations.map((v) => v.property)])].map((property) => {
      const expected = expectedProperties(s.expected).includes(property)
      const found = s.violations.find((v) => v.property === property)
      const ms = s.elapsedMs !== undefined ? s.elapsedMs / propertyIds.length : options.elapsedMs / Math.max(1, total)
      const body =
        found !== undefined && !expected
          ? `<failure message="${xml(`unexpected violation: ${found.message}`)}" type="unexpected-violation">${xml(found.file)}</failure>`
          : found === undefined && expected
            ? options.missedExpected === "failure"
              ? `<failure message="expected violation not found" type="expected-violation-not-found"/>`
              : `<skipped message="expected violation not found in this time-budgeted run"/>`
            : found !== undefined
              ? `<system-out>${xml(`expected violation found: ${found.file}`)}</system-out>`
              : ""
      return `    <testcase classname="${xml(s.id)}" name="${xml(property)}" time="${seconds(ms)}">${body}</testcase>`
    }),
  )
  return document(suite, cases, options.elapsedMs)
}

/** A counterexample file as a JUnit case: what `report --format junit` renders. */
export interface CounterexampleCase {
  readonly scenario: string
  readonly property: string
  readonly message: string
  readonly file: string
  readonly stepIndex: number
  /** The trace, one formatted command per line. */
  readonly trace: ReadonlyArray<string>
  readonly expected: boolean
  readonly replayMs: number
}

/** Counterexample files as JUnit XML: each one a failed test case with its message and trace. */
export const counterexamplesJunit = (suite: string, files: ReadonlyArray<CounterexampleCase>): string =>
  document(
    suite,
    files.map((f) => {
      const text = [
        `${f.file}: ${f.property} violated at step ${f.stepIndex}${f.expected ? " (the scenario expects it)" : ""}`,
        ...f.trace.map((c, i) => `#${i} ${c}${i === f.stepIndex ? "  <- VIOLATION" : ""}`),
      ].join("\n")
      return `    <testcase classname="${xml(f.scenario)}" name="${xml(f.property)}" file="${xml(f.file)}" time="${seconds(f.replayMs)}"><failure message="${xml(f.message)}" type="${f.expected ? "expected-violation" : "violation"}">${xml(text)}</failure></testcase>`
    }),
    files.reduce((n, f) => n + f.replayMs, 0),
  )
