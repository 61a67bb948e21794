/**
 * A counterexample as one self-contained HTML page, read in a browser or printed: inline CSS and
 * SVG, no script, nothing fetched. Sections, in order:
 * - the violation: the property's statement, kind and citation, and the message at its step;
 * - how to reproduce: `npx iovcheck replay FILE`, the driver with its seed and fast-check path,
 *   the scenario file, the iovcheck version that found it;
 * - the scenario: vendor, policy as written, expectation, source;
 * - the topology and the initial page ownership (who owns each HPA page, private or shared);
 * - the programs of the procedures the trace runs;
 * - the sequence diagram (`sequence-diagram.ts`), one lane per actor, the violating step marked;
 * - every step: actor, command, outcome, events, the state diff (long values wrapped), where each
 *   procedure in flight stands, and at the violation the property statement and citation.
 *
 * @module
 */
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import type { ReplayResult } from "../drivers/replay.ts"
import { initialState } from "../model/init.ts"
import { defaultPolicy } from "../model/policy.ts"
import { vendors } from "../model/vendor.ts"
import { propertyById } from "../properties/catalogue.ts"
import { formatExpectation } from "../scenarios/scenario.ts"
import { rows } from "./counterexample-report.ts"
import { programsUsed } from "./procedures.ts"
import { lanesOf, sequenceRows, sequenceSvg } from "./sequence-diagram.ts"

const escapeHtml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

const list = (items: ReadonlyArray<string>, cls: string): string =>
  items.length === 0 ? "" : `<ul class="${cls}">${items.map((i) => `<li>${i}</li>`).join("")}</ul>`

const table = (head: ReadonlyArray<string>, body: ReadonlyArray<ReadonlyArray<string>>, cls = ""): string =>
  `<table${cls === "" ? "" : ` class="${cls}"`}><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${body
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`

const STYLE = `
:root{--host:#0550ae;--vm:#1a7f37;--function:#8250df;--subdevice:#bf3989;--iommu:#9a6700;--bad:#cf222e}
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72rem;padding:0 1em;color:#1f2328}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.subtitle{color:#57606a;margin-top:0}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top;text-align:left}
th{background:#f6f8fa}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:3px 14px;margin:.4em 0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
code{white-space:pre-wrap;overflow-wrap:anywhere}
.command{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:2px 6px;display:inline-block}
.box{border:1px solid #d0d7de;border-left:4px solid var(--bad);background:#fff8f7;padding:.5em 1em;border-radius:4px}
.owner-free{color:#57606a}.private{font-weight:600}
svg.sequence{max-width:100%;height:auto;display:block;margin:.6em 0}
svg .lane line{stroke:#afb8c1;stroke-dasharray:3 3}svg .lane-label{font:600 12px system-ui,sans-serif}
svg .lane.host .lane-label{fill:var(--host)}svg .lane.vm .lane-label{fill:var(--vm)}svg .lane.function .lane-label{fill:var(--function)}
svg .lane.subdevice .lane-label{fill:var(--subdevice)}svg .lane.iommu .lane-label{fill:var(--iommu)}
svg .message{stroke:#57606a;stroke-width:1.5}svg .target{fill:#fff;stroke:#57606a;stroke-width:1.5}
svg .source{stroke:#fff;stroke-width:1}svg .row.host .source{fill:var(--host)}svg .row.vm .source{fill:var(--vm)}
svg .row.function .source{fill:var(--function)}svg .row.subdevice .source{fill:var(--subdevice)}svg .row.iommu .source{fill:var(--iommu)}
svg .message-label{font:11px ui-monospace,monospace;fill:#1f2328}svg .step-number{font:11px ui-monospace,monospace;fill:#0969da}
svg .status{font:11px system-ui,sans-serif;fill:#57606a}svg .violation .status{fill:var(--bad);font-weight:700}
svg .violation-band{fill:#ffebe9}
.step{border:1px solid #d0d7de;border-radius:6px;padding:.4em .8em;margin:.6em 0;break-inside:avoid}
.step.violation{border-color:var(--bad);border-width:2px}
.step h3{font-size:1em;margin:.2em 0;display:flex;flex-wrap:wrap;gap:.2em .6em;align-items:baseline}
.actor{font-weight:700}.actor.host{color:var(--host)}.actor.guest{color:var(--vm)}.actor.device{color:var(--function)}
.outcome{color:#57606a}.outcome.bad{color:var(--bad)}
.step ul{margin:.2em 0 .2em 1.2em;padding:0}.step h4{font-size:.85em;margin:.4em 0 0;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
.step .box{margin:.5em 0}
@media print{
  body{margin:0;max-width:none;font-size:11px}
  h2{break-after:avoid}.step,.box,table{break-inside:avoid}
  a{color:inherit;text-decoration:none}
}
`

/** Options of the page: the counterexample file's path, for the "how to replay" line. */
export interface HtmlOptions {
  readonly path?: string
}

/** The counterexample as one self-contained HTML page (see the module doc). */
export const counterexampleHtml = (
  file: CounterexampleFile,
  result: ReplayResult,
  options: HtmlOptions = {},
): string => {
  const scenario = file.scenario
  const topology = scenario.topology
  const property = propertyById(file.property)
  const steps = rows(file, result)
  const initial = initialState(topology)
  const path = options.path ?? `${scenario.id}/${file.property}.json`

  const violationSection = `<section id="violation"><h2>Violation</h2><div class="box">
<dl>
<dt>Property</dt><dd><code>${escapeHtml(file.property)}</code>${property === undefined ? " (a defect of the model)" : ` (${property.kind})`}</dd>
<dt>Statement</dt><dd class="statement">${escapeHtml(property?.statement ?? "The model broke one of its own invariants: a bug of iovcheck, not of the design.")}</dd>
<dt>Citation</dt><dd class="citation">${escapeHtml(property?.citation ?? "-")}</dd>
<dt>At step</dt><dd><a href="#step-${file.stepIndex}">#${file.stepIndex}</a> of ${file.commands.length}: ${escapeHtml(file.message)}</dd>
<dt>Replay</dt><dd>${escapeHtml(result.verdict)}</dd>
</dl></div></section>`

  const driver =
    file.driver === "random"
      ? `random search, seed ${file.seed ?? "-"}${file.path === undefined || file.path === "" ? "" : `, fast-check path ${escapeHtml(file.path)}`}`
      : "breadth-first exploration (a shortest counterexample; no seed)"
  const reproduceSection = `<section id="reproduce"><h2>Reproduce</h2><dl>
<dt>Replay</dt><dd><code class="command replay-command">npx iovcheck replay ${escapeHtml(path)}</code></dd>
<dt>Found by</dt><dd class="driver">${driver}</dd>
<dt>Scenario file</dt><dd class="scenario-file">${file.scenarioFile === undefined ? "not recorded (the scenario is inline in the counterexample file)" : `<code>${escapeHtml(file.scenarioFile)}</code> (also inline in the counterexample file)`}</dd>
<dt>iovcheck</dt><dd>${escapeHtml(file.iovcheckVersion)}</dd>
</dl><p>Replay runs the stored commands, not the seed, so the file stays valid when the generators change.</p></section>`

  const policy = Object.entries(scenario.policy)
  const scenarioSection = `<section id="scenario"><h2>Scenario</h2><dl>
<dt>Id</dt><dd><code>${escapeHtml(scenario.id)}</code></dd>
<dt>Design</dt><dd>${escapeHtml(scenario.title)}</dd>
<dt>Vendor</dt><dd>${escapeHtml(vendors[scenario.vendor].name)}</dd>
<dt>Policy</dt><dd>${
    policy.length === 0
      ? "every knob at its default (the design the specs prescribe)"
      : `${policy
          .map(
            ([k, v]) =>
              `<code>${escapeHtml(k)}=${escapeHtml(String(v))}</code> <span class="default">(default ${escapeHtml(String(defaultPolicy[k as keyof typeof defaultPolicy]))})</span>`,
          )
          .join("<br>")}<br>every other knob at its default`
  }</dd>
<dt>Expected</dt><dd>${escapeHtml(formatExpectation(scenario.expected))}</dd>
<dt>Source</dt><dd>${escapeHtml(scenario.source)}</dd>
</dl></section>`

  const flags = (f: (typeof topology.functions)[number]): string =>
    [
      f.ats ? "ATS" : "",
      f.bme === false ? "BME off" : "",
      f.msix !== undefined && f.msix > 0 ? `MSI-X ×${f.msix}` : "",
      f.pasidPri === true ? "PASID/PRI" : "",
      f.tdisp === true ? "TDI" : "",
      f.hostContext === "pass-through" ? "host pass-through" : "",
    ]
      .filter((x) => x !== "")
      .join(", ") || "-"
  const confidential = (topology.confidential ?? []).length > 0
  const others = [
    ["VMs", topology.vms.join(", ")],
    ["IOVAs", topology.iovas.map((i) => `0x${i.toString(16)}`).join(", ")],
    ["PASIDs", (topology.pasids ?? []).join(", ")],
    ["Confidential VMs", (topology.confidential ?? []).join(", ")],
    ["IRTEs", topology.irtes === undefined ? "" : String(topology.irtes)],
    ["Vectors per owner", topology.vectors === undefined ? "" : String(topology.vectors)],
    ["Page request groups", topology.prgis === undefined ? "" : String(topology.prgis)],
    ["Nesting", topology.nesting === undefined ? "" : `${topology.nesting.tables} stage-1 table(s) per VM`],
  ].filter(([, v]) => v !== "")
  const topologySection = `<section id="topology"><h2>Topology and initial page ownership</h2>
<dl>${others.map(([k, v]) => `<dt>${escapeHtml(k ?? "")}</dt><dd>${escapeHtml(v ?? "")}</dd>`).join("")}</dl>
<h3>Functions</h3>${table(
    ["RID", "kind", "PF", "features", "owner at start"],
    topology.functions.map((f) => [
      `<code>${escapeHtml(f.rid)}</code>`,
      f.kind.toUpperCase(),
      escapeHtml(f.pf ?? "-"),
      escapeHtml(flags(f)),
      "host",
    ]),
    "functions",
  )}
${
  (topology.subdevices ?? []).length === 0
    ? ""
    : `<h3>Sub-devices</h3>${table(
        ["id", "kind", "parent", "PASID", "IMS entries"],
        (topology.subdevices ?? []).map((d) => [
          `<code>${escapeHtml(d.id)}</code>`,
          d.kind === "adi" ? "ADI" : "mdev",
          `<code>${escapeHtml(d.parent)}</code>`,
          String(d.pasid),
          String(d.ims ?? (d.kind === "adi" ? 1 : 0)),
        ]),
        "subdevices",
      )}`
}
<h3>Pages (HPA page → owner at start)</h3>${table(
    ["page", "HPA", "owner", ...(confidential ? ["memory"] : [])],
    initial.memory.map((owner, i) => [
      String(i),
      `0x${(i * 4096).toString(16)}`,
      `<span class="${owner === "free" ? "owner-free" : ""}">${escapeHtml(owner)}</span>`,
      ...(confidential ? [initial.privatePages[i] === true ? '<span class="private">private</span>' : "shared"] : []),
    ]),
    "pages",
  )}
</section>`

  const programs = programsUsed(file, result.steps)
  const programsSection =
    programs.length === 0
      ? ""
      : `<section id="programs"><h2>Procedures</h2><p>The programs of the procedures this trace runs; each step below says where every procedure in flight stands.</p>${table(
          ["procedure", "program", "from"],
          programs.map((p) => [
            `<code>${escapeHtml(p.name)}</code>`,
            `<code>${escapeHtml(p.program)}</code>`,
            `${p.given ? "the scenario" : "preset of the policy knobs"}${p.current === undefined ? "" : `; recorded by the file (this version would run <code>${escapeHtml(p.current)}</code>)`}`,
          ]),
          "programs",
        )}</section>`

  const lanes = lanesOf(scenario)
  const diagram = sequenceSvg(
    lanes,
    sequenceRows(
      scenario,
      result.steps,
      steps.map((r) => r.changed),
      steps.map((r) => r.command),
      steps.map((r) => r.outcome),
      steps.map((r) => result.findings.filter((f) => f.stepIndex === r.index).map((f) => f.property)),
    ),
  )
  const sequenceSection = `<section id="sequence"><h2>Sequence</h2><p>One lane per actor; each row runs from the actor that issued the step (filled dot) to what it reached (open dots). The violating step is on red. Numbers link to the steps.</p>${diagram}</section>`

  const stepArticles = steps
    .map((r) => {
      const findings = result.findings.filter((f) => f.stepIndex === r.index)
      const violationBoxes = findings
        .map((f) => {
          const p = propertyById(f.property)
          return `<div class="box violation-detail"><strong>VIOLATION of <code>${escapeHtml(f.property)}</code></strong>: ${escapeHtml(f.message)}
<dl><dt>Property</dt><dd class="statement">${escapeHtml(p?.statement ?? "a defect of the model")}</dd><dt>Citation</dt><dd class="citation">${escapeHtml(p?.citation ?? "-")}</dd></dl></div>`
        })
        .join("")
      const bad = r.outcome !== "Ok"
      return `<article class="step ${r.actor}${findings.length > 0 ? " violation" : ""}" id="step-${r.index}">
<h3><span>#${r.index}</span><span class="actor ${r.actor}">${r.actor}</span><code class="command">${escapeHtml(r.command)}</code><span class="outcome${bad ? " bad" : ""}">→ ${escapeHtml(r.outcome)}</span></h3>
${r.events.length === 0 ? "" : `<h4>Events</h4>${list(r.events.map(escapeHtml), "events")}`}
${
  r.changed.length === 0
    ? ""
    : `<h4>State changed</h4>${list(
        r.changed.map((c) => `<code>${escapeHtml(c)}</code>`),
        "diff",
      )}`
}
${r.inFlight.length === 0 ? "" : `<h4>In flight after this step</h4>${list(r.inFlight.map(escapeHtml), "in-flight")}`}
${violationBoxes}</article>`
    })
    .join("\n")

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${file.property} in ${scenario.id}`)}</title>
<style>${STYLE}</style></head>
<body>
<header><h1><code>${escapeHtml(file.property)}</code> violated in <code>${escapeHtml(scenario.id)}</code></h1>
<p class="subtitle">${escapeHtml(scenario.title)} · ${file.commands.length} commands · ${escapeHtml(vendors[scenario.vendor].name)}</p></header>
${violationSection}
${reproduceSection}
${scenarioSection}
${topologySection}
${programsSection}
${sequenceSection}
<section id="steps"><h2>Steps</h2>
${stepArticles}
</section>
</body></html>
`
}
