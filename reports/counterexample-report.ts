/**
 * A counterexample as a document a person reads: the rows of its trace (shared with the HTML page,
 * `counterexample-html.ts`) and the Markdown report: the scenario, the violated property's
 * statement and citation, and the trace as a table of steps: actor, command, outcome, events, the
 * state that changed (a diff, not the whole state) and where each procedure in flight stands.
 *
 * @module
 */
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import type { ReplayResult } from "../drivers/replay.ts"
import { actorOf, formatCommand } from "../model/command.ts"
import { formatEvent } from "../model/event.ts"
import { formatOutcome } from "../model/outcome.ts"
import { vendors } from "../model/vendor.ts"
import { propertyById } from "../properties/catalogue.ts"
import { positionsAfter, programsUsed } from "./procedures.ts"
import { diffState } from "./state-diff.ts"

/** One step of the trace as the reports show it. */
export interface Row {
  readonly index: number
  readonly actor: string
  readonly command: string
  readonly outcome: string
  readonly events: ReadonlyArray<string>
  readonly changed: ReadonlyArray<string>
  readonly inFlight: ReadonlyArray<string>
  readonly violations: ReadonlyArray<string>
}

/** The steps of a replayed counterexample as report rows. */
export const rows = (file: CounterexampleFile, result: ReplayResult): ReadonlyArray<Row> => {
  const vendor = vendors[file.scenario.vendor]
  const tag = vendor.domainTag
  const space = vendor.nesting.addressSpaceName
  const positions = positionsAfter(file, result.steps)
  return result.steps.map((s, i) => ({
    index: i,
    actor: actorOf(s.command),
    command: formatCommand(s.command),
    outcome: formatOutcome(s.outcome),
    events: s.events.map((e) => formatEvent(e, tag, space)),
    changed: diffState(s.before, s.after),
    inFlight: positions[i] ?? [],
    violations: result.findings.filter((f) => f.stepIndex === i).map((f) => `${f.property}: ${f.message}`),
  }))
}

/** The scenario's policy as written: `knob=value, …`, or `(defaults)`. */
export const policyLine = (file: CounterexampleFile): string =>
  Object.entries(file.scenario.policy)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "(defaults)"

const md = (text: string): string => text.replaceAll("|", "\\|").replaceAll("\n", " ")

/** The counterexample as Markdown. */
export const counterexampleMarkdown = (file: CounterexampleFile, result: ReplayResult): string => {
  const p = propertyById(file.property)
  const lines = [
    `# ${file.property} in ${file.scenario.id}`,
    "",
    `**Scenario**: ${file.scenario.title} (${vendors[file.scenario.vendor].name}; policy: ${policyLine(file)}; source: ${file.scenario.source})`,
    "",
    `**Property** \`${file.property}\`: ${p?.statement ?? "a defect of the model"}${p === undefined ? "" : ` (${p.citation})`}`,
    "",
    `**Violation** at step ${file.stepIndex}: ${file.message}`,
    "",
    `**Replay**: ${result.verdict} (${file.commands.length} commands, driver ${file.driver}${file.seed === undefined ? "" : `, seed ${file.seed}`})`,
    "",
    ...programsUsed(file, result.steps).map(
      (p) =>
        `**Program** \`${p.name}\` (${p.given ? "the scenario's" : "preset"}): ${md(p.program)}${p.current === undefined ? "" : ` (recorded by the file; this version would run: ${md(p.current)})`}\n`,
    ),
    "| # | actor | command | outcome | events | state changed | in flight |",
    "|---|---|---|---|---|---|---|",
    ...rows(file, result).map(
      (r) =>
        `| ${r.index} | ${r.actor} | \`${md(r.command)}\` | ${md(r.outcome)} | ${r.events.map(md).join("<br>")}${r.violations.map((v) => `<br>**VIOLATION** ${md(v)}`).join("")} | ${r.changed.map((c) => `\`${md(c)}\``).join("<br>")} | ${r.inFlight.map(md).join("<br>")} |`,
    ),
    "",
  ]
  return lines.join("\n")
}
