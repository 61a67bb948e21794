/**
 * The step-by-step text of `iovcheck replay`: the programs of the procedures the trace runs; for
 * each step its index, actor, command, outcome, events, the state that changed and where each
 * procedure in flight stands in its program; then the violation with its property statement, and
 * the verdict. Also the `--json` document of replay, as an Effect Schema ({@link ReplayDocument}: a
 * public interface, fields are added, never renamed), which the library's `replay` returns.
 *
 * @module
 */
import { Schema } from "effect"
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import type { ReplayResult } from "../drivers/replay.ts"
import { actorOf, Command, formatCommand } from "../model/command.ts"
import { type Event, formatEvent } from "../model/event.ts"
import { formatOutcome, type Outcome } from "../model/outcome.ts"
import { vendors } from "../model/vendor.ts"
import { propertyById } from "../properties/catalogue.ts"
import { positionsAfter, programsUsed } from "./procedures.ts"
import { diffState } from "./state-diff.ts"

const verdictLine = (file: CounterexampleFile, result: ReplayResult): string => {
  switch (result.verdict) {
    case "reproduced":
      return `reproduced: ${file.property} violated at step ${file.stepIndex}, as recorded`
    case "clean":
      return `clean: the trace runs without violation (recorded: ${file.property} at step ${file.stepIndex})`
    case "different":
      return `different: ${result.findings.map((f) => `${f.property} at step ${f.stepIndex}`).join(", ")} (recorded: ${file.property} at step ${file.stepIndex})`
  }
}

/** The replay as text lines. */
export const renderReplay = (file: CounterexampleFile, result: ReplayResult): string => {
  const vendor = vendors[file.scenario.vendor]
  const tag = vendor.domainTag
  const space = vendor.nesting.addressSpaceName
  const lines: Array<string> = [
    `scenario ${file.scenario.id} (${vendors[file.scenario.vendor].name}): ${file.scenario.title}`,
    `recorded: ${file.property} at step ${file.stepIndex}, ${file.commands.length} commands`,
  ]
  const used = programsUsed(file, result.steps)
  if (used.length > 0) lines.push("programs:")
  for (const p of used) {
    lines.push(`  ${p.name} (${p.given ? "the scenario's" : "preset"}): ${p.program}`)
    if (p.current !== undefined) lines.push(`    recorded by the file; this version would run: ${p.current}`)
  }
  lines.push("")
  const positions = positionsAfter(file, result.steps)
  result.steps.forEach((s, i) => {
    lines.push(`#${i} ${actorOf(s.command)}  ${formatCommand(s.command)}  -> ${formatOutcome(s.outcome)}`)
    for (const e of s.events) lines.push(`     event  ${formatEvent(e, tag, space)}`)
    for (const d of diffState(s.before, s.after)) lines.push(`     state  ${d}`)
    for (const p of positions[i] ?? []) lines.push(`     proc   ${p}`)
    for (const f of result.findings) if (f.stepIndex === i) lines.push(`     VIOLATION  ${f.property}: ${f.message}`)
  })
  lines.push("")
  for (const f of result.findings) {
    const p = propertyById(f.property)
    lines.push(`VIOLATION of ${f.property} at step ${f.stepIndex}: ${f.message}`)
    if (p !== undefined) lines.push(`  property: ${p.statement}`, `  citation: ${p.citation}`)
  }
  lines.push(verdictLine(file, result))
  return lines.join("\n")
}

const isTagged = (u: unknown): u is { readonly _tag: string } =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"

/** A step's outcome (`model/outcome.ts`): `{ "_tag": "Ok" }` or `Rejected`/`Faulted`/`Waiting` with a `reason`. */
const OutcomeValue = Schema.declare((u): u is Outcome => isTagged(u)).annotate({
  description: 'The outcome: { "_tag": "Ok" }, or Rejected, Faulted or Waiting with a "reason"',
})

/** An event (`model/event.ts`): an object with a `_tag` and the values of the fact it records. */
const EventValue = Schema.declare((u): u is Event => isTagged(u)).annotate({
  description: 'An observable fact: an object with a "_tag" (see model/event.ts) and its values',
})

const Index = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** A violation met during the replay. */
export const ReplayViolation = Schema.Struct({
  property: Schema.String,
  stepIndex: Index,
  message: Schema.String,
})

/** One replayed step. */
export const ReplayStep = Schema.Struct({
  index: Index,
  actor: Schema.Literals(["host", "guest", "device"]),
  command: Command,
  outcome: OutcomeValue,
  events: Schema.Array(EventValue),
  changed: Schema.Array(Schema.String).annotate({ description: "The state that changed: `path: old → new` lines" }),
  inFlight: Schema.Array(Schema.String).annotate({
    description: "Where each procedure in flight stands in its program after the step",
  }),
})

/** The `replay --json` document. */
export const ReplayDocument = Schema.Struct({
  scenario: Schema.String.annotate({ description: "The id of the scenario the trace runs under" }),
  recorded: Schema.Struct({ property: Schema.String, stepIndex: Index }).annotate({
    description: "What the counterexample file recorded",
  }),
  verdict: Schema.Literals(["reproduced", "clean", "different"]).annotate({
    description:
      "reproduced: the recorded violation at the recorded step; clean: no violation; different: other violations",
  }),
  violations: Schema.Array(ReplayViolation),
  programs: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      program: Schema.String,
      given: Schema.Boolean,
      current: Schema.optionalKey(Schema.String).annotate({
        description: "The program this version would resolve, when it differs from the one the file recorded",
      }),
    }),
  ).annotate({
    description:
      "The programs of the procedures the trace runs (a version 2 file's recorded ones); given: the scenario states it (else a preset)",
  }),
  steps: Schema.Array(ReplayStep),
}).annotate({ identifier: "ReplayDocument", title: "iovcheck replay --json" })
/** The `replay --json` document. */
export type ReplayDocument = typeof ReplayDocument.Type

/** The replay as the `--json` document. */
export const replayDocument = (file: CounterexampleFile, result: ReplayResult): ReplayDocument => {
  const positions = positionsAfter(file, result.steps)
  return {
    scenario: file.scenario.id,
    recorded: { property: file.property, stepIndex: file.stepIndex },
    verdict: result.verdict,
    violations: result.findings,
    programs: programsUsed(file, result.steps),
    steps: result.steps.map((s, i) => ({
      index: i,
      actor: actorOf(s.command),
      command: s.command,
      outcome: s.outcome,
      events: s.events,
      changed: diffState(s.before, s.after),
      inFlight: positions[i] ?? [],
    })),
  }
}

/** The document as JSON text (two-space indented), encoded by its Schema: what `replay --json` prints. */
export const replayDocumentJson = (document: ReplayDocument): string =>
  JSON.stringify(Schema.encodeSync(ReplayDocument)(document), null, 2)
