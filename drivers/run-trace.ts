/**
 * Runs a trace through `step`, checking the properties after every step (DESIGN.md §5). Shared by
 * the random driver, the shrinkers and replay. The trace is given as a function from the current
 * state and step index to the next command, so the random driver can pick among `enabled(state)`
 * and replay can feed a saved list.
 *
 * @module
 */
import { Effect } from "effect"
import type { Command } from "../model/command.ts"
import type { Event } from "../model/event.ts"
import type { Outcome } from "../model/outcome.ts"
import { Policy } from "../model/policy.ts"
import { ProgramsService } from "../model/programs.ts"
import type { State, StepContext, StepResult } from "../model/state.ts"
import { transition } from "../model/step.ts"
import { Vendor } from "../model/vendor.ts"
import type { Property } from "../properties/property.ts"

/** Id under which a defect of the model is reported (not a property of any design). */
export const MODEL_DEFECT = "model-defect"

/** What stopped a trace: a property violation, or a model defect (`property` is `"model-defect"`). */
export interface Finding {
  readonly property: string
  /** Index (0-based) of the command at which it happened. */
  readonly stepIndex: number
  readonly message: string
}

/** One executed step, kept when recording (replay, reports). */
export interface StepRecord {
  readonly command: Command
  readonly outcome: Outcome
  readonly events: ReadonlyArray<Event>
  readonly before: State
  readonly after: State
}

/** The result of running a trace. */
export interface TraceResult {
  /** The commands executed, up to and including the one that stopped the trace. */
  readonly commands: ReadonlyArray<Command>
  /** The first finding, if any. */
  readonly finding: Finding | undefined
  /** Every finding, in step order (with `keepGoing`, several; else at most one). */
  readonly findings: ReadonlyArray<Finding>
  /** Every step, when recording was asked for; else empty. */
  readonly steps: ReadonlyArray<StepRecord>
  readonly final: State
}

/** Supplies the next command, or `undefined` to end the trace. */
export type NextCommand = (state: State, index: number) => Command | undefined

/**
 * How to run a trace: keep every step (`record`); go on past violations (`keepGoing`), reporting
 * each property at its first violation only (a stale cache stays stale on every later step).
 */
export interface RunOptions {
  readonly record?: boolean
  readonly keepGoing?: boolean
}

/**
 * Runs commands from `initial` until `next` returns `undefined`, or a property in `checked` is
 * violated (unless `keepGoing`), or the model dies. Never fails: a defect becomes a finding with
 * id `"model-defect"` and ends the trace.
 *
 * The services are read once and the steps run as plain `transition` calls (what `step` runs): an
 * Effect per step cost more than most steps. A property checks only where its `scope` says it can
 * find something: one of the state (`"state"`) after a step that changed the state (or the first
 * step, whose state before was never checked), one of events (`"events"`) after a step with events.
 */
export const runTrace = (
  initial: State,
  next: NextCommand,
  checked: ReadonlyArray<Property>,
  options: RunOptions = {},
): Effect.Effect<TraceResult, never, Vendor | Policy | ProgramsService> =>
  Effect.gen(function* () {
    const ctx: StepContext = { vendor: yield* Vendor, policy: yield* Policy, programs: yield* ProgramsService }
    return runTraceWith(ctx, initial, next, checked, options)
  })

/** {@link runTrace} under services already resolved. */
export const runTraceWith = (
  ctx: StepContext,
  initial: State,
  next: NextCommand,
  checked: ReadonlyArray<Property>,
  options: RunOptions = {},
): TraceResult => {
  const commands: Array<Command> = []
  const steps: Array<StepRecord> = []
  const findings: Array<Finding> = []
  const done = (final: State): TraceResult => ({ commands, finding: findings[0], findings, steps, final })
  const record = options.record === true
  const keepGoing = options.keepGoing === true
  const vendor = ctx.vendor
  let state = initial
  for (let i = 0; ; i++) {
    const command = next(state, i)
    if (command === undefined) return done(state)
    commands.push(command)
    let result: StepResult
    try {
      result = transition(ctx, state, command)
    } catch (e) {
      findings.push({ property: MODEL_DEFECT, stepIndex: i, message: e instanceof Error ? e.message : String(e) })
      return done(state)
    }
    const { state: after, outcome, events } = result
    if (record) steps.push({ command, outcome, events, before: state, after })
    const unchangedState = after === state && i > 0
    const noEvents = events.length === 0
    for (let j = 0; j < checked.length; j++) {
      const p = checked[j] as Property
      if (p.scope === "state" ? unchangedState : p.scope === "events" && noEvents) continue
      if (findings.length > 0 && findings.some((f) => f.property === p.id)) continue
      const message = p.check({ before: state, command, outcome, events, after, vendor })
      if (message === undefined) continue
      findings.push({ property: p.id, stepIndex: i, message })
      if (!keepGoing) return done(after)
    }
    state = after
  }
}

/** A `NextCommand` that feeds a fixed list. */
export const fromList =
  (commands: ReadonlyArray<Command>): NextCommand =>
  (_state, i) =>
    commands[i]
