/**
 * Runs a trace through `step`, checking the properties after every step (DESIGN.md §5). Shared by
 * the random driver, the shrinkers and replay. The trace is given as a function from the current
 * state and step index to the next command, so the random driver can pick among `enabled(state)`
 * and replay can feed a saved list.
 *
 * @module
 */
import { Cause, Effect, Exit } from "effect"
import type { Command } from "../model/command.ts"
import type { Event } from "../model/event.ts"
import type { Outcome } from "../model/outcome.ts"
import type { Policy } from "../model/policy.ts"
import type { ProgramsService } from "../model/programs.ts"
import type { State } from "../model/state.ts"
import { step } from "../model/step.ts"
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

const defectMessage = (cause: Cause.Cause<unknown>): string => {
  const squashed = Cause.squash(cause)
  return squashed instanceof Error ? squashed.message : String(squashed)
}

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
 */
export const runTrace = (
  initial: State,
  next: NextCommand,
  checked: ReadonlyArray<Property>,
  options: RunOptions = {},
): Effect.Effect<TraceResult, never, Vendor | Policy | ProgramsService> =>
  Effect.gen(function* () {
    const commands: Array<Command> = []
    const steps: Array<StepRecord> = []
    const findings: Array<Finding> = []
    const done = (final: State): TraceResult => ({ commands, finding: findings[0], findings, steps, final })
    const vendor = yield* Vendor
    let state = initial
    for (let i = 0; ; i++) {
      const command = next(state, i)
      if (command === undefined) return done(state)
      commands.push(command)
      const exit = yield* Effect.exit(step(state, command))
      if (Exit.isFailure(exit)) {
        findings.push({ property: MODEL_DEFECT, stepIndex: i, message: defectMessage(exit.cause) })
        return done(state)
      }
      const { state: after, outcome, events } = exit.value
      if (options.record === true) steps.push({ command, outcome, events, before: state, after })
      const transition = { before: state, command, outcome, events, after, vendor }
      for (const p of checked) {
        if (findings.some((f) => f.property === p.id)) continue
        const message = p.check(transition)
        if (message === undefined) continue
        findings.push({ property: p.id, stepIndex: i, message })
        if (options.keepGoing !== true) return done(after)
      }
      state = after
    }
  })

/** A `NextCommand` that feeds a fixed list. */
export const fromList =
  (commands: ReadonlyArray<Command>): NextCommand =>
  (_state, i) =>
    commands[i]
