/**
 * The step-by-step text of `iovcheck replay`: the programs of the procedures the trace runs; for
 * each step its index, actor, command, outcome, events, the state that changed and where each
 * procedure in flight stands in its program; then the violation with its property statement, and
 * the verdict. Also the `--json` document of replay.
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
  const used = programsUsed(file.scenario, result.steps)
  if (used.length > 0) lines.push("programs:")
  for (const p of used) lines.push(`  ${p.name} (${p.given ? "the scenario's" : "preset"}): ${p.program}`)
  lines.push("")
  const positions = positionsAfter(file.scenario, result.steps)
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

/** The replay as a JSON-ready document. */
export const replayDocument = (file: CounterexampleFile, result: ReplayResult) => {
  const positions = positionsAfter(file.scenario, result.steps)
  return {
    scenario: file.scenario.id,
    recorded: { property: file.property, stepIndex: file.stepIndex },
    verdict: result.verdict,
    violations: result.findings,
    programs: programsUsed(file.scenario, result.steps),
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
