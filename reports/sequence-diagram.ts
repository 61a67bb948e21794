/**
 * A trace as a sequence diagram (inline SVG, no script): one lane per actor of the scenario (the
 * host, each VM, each PCIe function, each ADI or mdev, and the IOMMU) and one row per step, from
 * the lane of the actor that issued the command to the lanes the step reached. The violating step
 * is marked.
 *
 * Which lanes a step reaches is read off the step itself, not a table of command kinds, so the
 * diagram follows the model as it grows:
 * - the actor's lane: the host; a guest command's `vm`; a device command's interface (`iface`,
 *   `sub`) or function (`rid`);
 * - every lane a top-level field of the command or of an event names (`vm`, `rid`, `dest`, `to`,
 *   …: VM ids, RIDs and sub-device ids have distinct shapes, so a value names one lane at most);
 * - the owner of the page a completed DMA reached (`DmaCompleted`'s `page`), before the step;
 * - the IOMMU, when the step changed its state (`iommu…`, `nesting…` in the state diff) or an event
 *   passed through it: one naming a domain (`did`) or a translation path (`path`), a fault, a
 *   translation, an interrupt delivered or blocked, a page request queued.
 *
 * @module
 */
import type { StepRecord } from "../drivers/run-trace.ts"
import { actorOf } from "../model/command.ts"
import type { Scenario } from "../scenarios/scenario.ts"

/** A lane: its label (the id that names it in commands and events) and its kind (for colour). */
export interface Lane {
  readonly label: string
  readonly kind: "host" | "vm" | "function" | "subdevice" | "iommu"
}

/** One row of the diagram. */
export interface SequenceRow {
  readonly index: number
  /** Index in `lanes` of the actor's lane. */
  readonly from: number
  /** Indexes of the other lanes the step reached, ascending. */
  readonly to: ReadonlyArray<number>
  /** The command's kind (`HostUnmapIova`), shown on the arrow; the full command is its tooltip. */
  readonly label: string
  readonly command: string
  readonly outcome: string
  /** The properties violated at this step. */
  readonly violations: ReadonlyArray<string>
}

/** The lanes of a scenario, left to right: host, VMs, functions, sub-devices, IOMMU. */
export const lanesOf = (scenario: Scenario): ReadonlyArray<Lane> => [
  { label: "host", kind: "host" },
  ...scenario.topology.vms.map((vm) => ({ label: vm, kind: "vm" as const })),
  ...scenario.topology.functions.map((f) => ({ label: f.rid, kind: "function" as const })),
  ...(scenario.topology.subdevices ?? []).map((d) => ({ label: d.id, kind: "subdevice" as const })),
  { label: "IOMMU", kind: "iommu" },
]

const IOMMU_EVENTS: ReadonlySet<string> = new Set([
  "DmaFaulted",
  "TranslationCompleted",
  "InterruptDelivered",
  "InterruptBlocked",
  "PageRequestQueued",
])

const fieldsOf = (value: unknown): ReadonlyArray<[string, unknown]> =>
  typeof value === "object" && value !== null ? Object.entries(value) : []

/** The lanes a step reached, and the lane of its actor. */
const lanesOfStep = (
  lanes: ReadonlyArray<Lane>,
  step: StepRecord,
  changed: ReadonlyArray<string>,
): { readonly from: number; readonly to: ReadonlyArray<number> } => {
  const index = new Map(lanes.map((l, i) => [l.label, i]))
  const iommu = lanes.length - 1
  const command = step.command as unknown as Record<string, unknown>
  const named = (field: string): number | undefined =>
    typeof command[field] === "string" ? index.get(command[field] as string) : undefined
  const actor = actorOf(step.command)
  const from =
    actor === "host"
      ? 0
      : actor === "guest"
        ? (named("vm") ?? 0)
        : (named("iface") ?? named("sub") ?? named("rid") ?? 0)
  const to = new Set<number>()
  for (const record of [command, ...step.events])
    for (const [k, v] of fieldsOf(record)) {
      if (typeof v === "string" && k !== "_tag") {
        const lane = index.get(v)
        if (lane !== undefined) to.add(lane)
      }
    }
  for (const e of step.events as ReadonlyArray<Record<string, unknown>>) {
    if (e._tag === "DmaCompleted" && typeof e.page === "number") {
      const owner = step.before.memory[e.page]
      const lane = owner === undefined ? undefined : index.get(owner)
      if (lane !== undefined) to.add(lane)
    }
    if ("did" in e || "path" in e || IOMMU_EVENTS.has(String(e._tag))) to.add(iommu)
  }
  if (changed.some((c) => c.startsWith("iommu") || c.startsWith("nesting"))) to.add(iommu)
  to.delete(from)
  return { from, to: [...to].sort((a, b) => a - b) }
}

/** The rows of a trace's diagram; `changed[i]` is the state diff of step i. */
export const sequenceRows = (
  scenario: Scenario,
  steps: ReadonlyArray<StepRecord>,
  changed: ReadonlyArray<ReadonlyArray<string>>,
  commands: ReadonlyArray<string>,
  outcomes: ReadonlyArray<string>,
  violations: ReadonlyArray<ReadonlyArray<string>>,
): ReadonlyArray<SequenceRow> => {
  const lanes = lanesOf(scenario)
  return steps.map((s, i) => ({
    index: i,
    ...lanesOfStep(lanes, s, changed[i] ?? []),
    label: s.command._tag,
    command: commands[i] ?? s.command._tag,
    outcome: outcomes[i] ?? "",
    violations: violations[i] ?? [],
  }))
}

const escapeXml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

const LANE = 112
const LEFT = 40
const RIGHT = 190
const TOP = 46
const ROW = 28

const fit = (text: string, pixels: number): string => {
  const chars = Math.max(4, Math.floor(pixels / 6.4))
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`
}

/**
 * The diagram as an `<svg>` element: lane headers, one row per step (its number links to the
 * step's details, `#step-N`), the violating rows on a red band with the property named on the
 * right. Scales down to the page width (viewBox), for the screen and for print.
 */
export const sequenceSvg = (lanes: ReadonlyArray<Lane>, rows: ReadonlyArray<SequenceRow>): string => {
  const width = LEFT + lanes.length * LANE + RIGHT
  const height = TOP + rows.length * ROW + 12
  const x = (lane: number) => LEFT + lane * LANE + LANE / 2
  const header = lanes
    .map(
      (l, i) =>
        `<g class="lane ${l.kind}"><text class="lane-label" x="${x(i)}" y="24" text-anchor="middle">${escapeXml(fit(l.label, LANE - 8))}</text><line x1="${x(i)}" y1="${TOP - 12}" x2="${x(i)}" y2="${height - 6}"/></g>`,
    )
    .join("")
  const body = rows
    .map((r) => {
      const y = TOP + r.index * ROW + ROW / 2
      const violated = r.violations.length > 0
      const targets = r.to.map((t) => x(t))
      const left = Math.min(x(r.from), ...targets)
      const right = Math.max(x(r.from), ...targets)
      const labelX = r.to.length === 0 ? x(r.from) + 10 : (left + right) / 2
      const span = r.to.length === 0 ? LANE * 1.5 : Math.max(right - left, LANE * 1.5)
      const band = violated
        ? `<rect class="violation-band" x="0" y="${y - ROW / 2}" width="${width}" height="${ROW}"/>`
        : ""
      const line = r.to.length === 0 ? "" : `<line class="message" x1="${left}" y1="${y}" x2="${right}" y2="${y}"/>`
      const dots = targets.map((t) => `<circle class="target" cx="${t}" cy="${y}" r="4"/>`).join("")
      const status = violated ? `✗ ${r.violations.join(", ")}` : (r.outcome.split(":")[0] ?? "")
      return `<g class="row ${lanes[r.from]?.kind ?? "host"}${violated ? " violation" : ""}" data-step="${r.index}"><title>${escapeXml(`#${r.index} ${r.command} -> ${r.outcome}`)}</title>${band}<a href="#step-${r.index}"><text class="step-number" x="${LEFT - 8}" y="${y + 4}" text-anchor="end">#${r.index}</text></a>${line}<circle class="source" cx="${x(r.from)}" cy="${y}" r="5"/>${dots}<text class="message-label" x="${labelX}" y="${y - 5}" text-anchor="${r.to.length === 0 ? "start" : "middle"}">${escapeXml(fit(r.label, span))}</text><text class="status" x="${LEFT + lanes.length * LANE + 8}" y="${y + 4}">${escapeXml(fit(status, RIGHT - 12))}</text></g>`
    })
    .join("")
  return `<svg class="sequence" viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="Sequence diagram of the trace, one lane per actor">${header}${body}</svg>`
}
