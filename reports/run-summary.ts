/**
 * The summary of a run (`verify` or `fuzz`) for people and CI dashboards: Markdown, and JUnit XML
 * with one test case per scenario × property (failed when the property is violated against the
 * scenario's expectation, or expected violated and not found; skipped-free, so dashboards count
 * every pair). The JSON summary is the command's own `--json` document.
 *
 * @module
 */
import { propertyIds } from "../properties/catalogue.ts"
import type { Expectation } from "../scenarios/scenario.ts"
import { formatExpectation } from "../scenarios/scenario.ts"
import { renderTable } from "./table.ts"

/** What a summary needs of each scenario. */
export interface SummaryScenario {
  readonly id: string
  readonly expected: Expectation | null
  readonly asExpected: boolean
  readonly violations: ReadonlyArray<{ readonly property: string; readonly message: string; readonly file: string }>
}

/** The run summary as Markdown. */
export const summaryMarkdown = (title: string, scenarios: ReadonlyArray<SummaryScenario>): string =>
  [
    `# ${title}`,
    "",
    `${scenarios.filter((s) => s.asExpected).length} of ${scenarios.length} scenarios as expected.`,
    "",
    "```",
    renderTable(
      ["scenario", "expected", "as expected", "violated"],
      scenarios.map((s) => [
        s.id,
        formatExpectation(s.expected ?? undefined),
        s.asExpected ? "yes" : "NO",
        s.violations.map((v) => v.property).join(", ") || "-",
      ]),
    ),
    "```",
    "",
    ...scenarios.flatMap((s) =>
      s.violations.map((v) => `- \`${s.id}\` / \`${v.property}\`: ${v.message} ([file](${v.file}))`),
    ),
    "",
  ].join("\n")

const xml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

/** The run summary as JUnit XML: one test case per scenario × property. */
export const summaryJunit = (suite: string, scenarios: ReadonlyArray<SummaryScenario>): string => {
  const cases = scenarios.flatMap((s) =>
    propertyIds.map((property) => {
      const expected = s.expected !== null && s.expected !== "safe" && s.expected.violates.includes(property)
      const found = s.violations.find((v) => v.property === property)
      const failure =
        found !== undefined && !expected
          ? `<failure message="${xml(`unexpected violation: ${found.message}`)}">${xml(found.file)}</failure>`
          : found === undefined && expected
            ? `<failure message="expected violation not found"/>`
            : ""
      return `    <testcase classname="${xml(s.id)}" name="${xml(property)}">${failure}</testcase>`
    }),
  )
  const failures = cases.filter((c) => c.includes("<failure")).length
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}">
${cases.join("\n")}
  </testsuite>
</testsuites>
`
}
