/**
 * A counterexample as a document a person reads: Markdown, and a self-contained HTML page (inline
 * CSS, no script, nothing fetched at view time). Both give the scenario, the violated property's
 * statement and citation, and the trace as a table of steps: actor, command, outcome, events, and
 * the state that changed (a diff, not the whole state).
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

/** One row of the trace table. */
interface Row {
  readonly index: number
  readonly actor: string
  readonly command: string
  readonly outcome: string
  readonly events: ReadonlyArray<string>
  readonly changed: ReadonlyArray<string>
  readonly inFlight: ReadonlyArray<string>
  readonly violations: ReadonlyArray<string>
}

const rows = (file: CounterexampleFile, result: ReplayResult): ReadonlyArray<Row> => {
  const vendor = vendors[file.scenario.vendor]
  const tag = vendor.domainTag
  const space = vendor.nesting.addressSpaceName
  const positions = positionsAfter(file.scenario, result.steps)
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

const policyLine = (file: CounterexampleFile): string =>
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
    ...programsUsed(file.scenario, result.steps).map(
      (p) => `**Program** \`${p.name}\` (${p.given ? "the scenario's" : "preset"}): ${md(p.program)}\n`,
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

const escapeHtml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

/** The counterexample as one self-contained HTML page. */
export const counterexampleHtml = (
  file: CounterexampleFile,
  result: ReplayResult,
  _options: { readonly path?: string } = {},
): string => {
  const p = propertyById(file.property)
  const body = rows(file, result)
    .map(
      (r) => `<tr class="${r.violations.length > 0 ? "violation" : r.actor}">
<td>${r.index}</td><td>${r.actor}</td><td><code>${escapeHtml(r.command)}</code></td><td>${escapeHtml(r.outcome)}</td>
<td>${[...r.events.map(escapeHtml), ...r.violations.map((v) => `<strong>VIOLATION</strong> ${escapeHtml(v)}`)].join("<br>")}</td>
<td>${r.changed.map((c) => `<code>${escapeHtml(c)}</code>`).join("<br>")}</td>
<td>${r.inFlight.map(escapeHtml).join("<br>")}</td></tr>`,
    )
    .join("\n")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${escapeHtml(`${file.property} in ${file.scenario.id}`)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee}
tr.host td:nth-child(2){color:#0550ae}
tr.guest td:nth-child(2){color:#1a7f37}
tr.device td:nth-child(2){color:#8250df}
tr.violation{background:#ffebe9}
code{font-size:12px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dt{font-weight:600}
</style></head>
<body>
<h1>${escapeHtml(file.property)} in ${escapeHtml(file.scenario.id)}</h1>
<dl>
<dt>Scenario</dt><dd>${escapeHtml(file.scenario.title)}</dd>
<dt>Vendor</dt><dd>${escapeHtml(vendors[file.scenario.vendor].name)}</dd>
<dt>Policy</dt><dd>${escapeHtml(policyLine(file))}</dd>
<dt>Source</dt><dd>${escapeHtml(file.scenario.source)}</dd>
<dt>Property</dt><dd>${escapeHtml(p?.statement ?? "a defect of the model")}</dd>
<dt>Citation</dt><dd>${escapeHtml(p?.citation ?? "-")}</dd>
<dt>Violation</dt><dd>step ${file.stepIndex}: ${escapeHtml(file.message)}</dd>
<dt>Replay</dt><dd>${escapeHtml(result.verdict)}</dd>
${programsUsed(file.scenario, result.steps)
  .map(
    (p) =>
      `<dt>Program ${escapeHtml(p.name)}</dt><dd>${escapeHtml(p.program)} (${p.given ? "the scenario's" : "preset"})</dd>`,
  )
  .join("\n")}
</dl>
<table>
<thead><tr><th>#</th><th>actor</th><th>command</th><th>outcome</th><th>events</th><th>state changed</th><th>in flight</th></tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`
}
