/**
 * The random driver (DESIGN.md §5): fast-check generates traces and shrinks failures; iovcheck's
 * 1-minimal shrinker finishes the job on the concrete command list.
 *
 * Traces are state-aware: fast-check generates a list of choices (unbiased integers) and each
 * choice picks a command among `enabled(state)` of the state reached so far: a kind of command
 * uniformly among the enabled kinds, then one of that kind ({@link pickCommand}). Trace lengths are
 * uniform between `maxSteps / 2` and `maxSteps`: deep bugs (a nested guest's unmap with its
 * invalidation queue, 10–15 commands among ~20 kinds) show up in long traces and hardly ever in
 * short ones, while a long trace holds a short bug as well. The saved trace is the concrete command
 * list, never the choices.
 *
 * A search runs in passes: each pass asks fast-check for a trace that violates a property not yet
 * found (or dies of a model defect, reported once as `model-defect`; later traces that die of one
 * count as passing, so a defect does not hide the other properties' violations); a failure is shrunk by iovcheck's shrinkers on the command list (1-minimal, simpler IDs, canonical numbering: `shrinkers/shrink-trace.ts`),
 * its property is recorded, and the next pass looks for the remaining properties. A pass that runs
 * `runs` traces without a failure ends the search.
 *
 * @module
 */
import { type Context, Effect } from "effect"
import fc from "fast-check"
import { Command, type CommandTag } from "../model/command.ts"
import { enabled } from "../model/enabled.ts"
import { initialState } from "../model/init.ts"
import type { Policy } from "../model/policy.ts"
import type { ProgramsService } from "../model/programs.ts"
import type { State } from "../model/state.ts"
import type { Vendor } from "../model/vendor.ts"
import type { Property } from "../properties/property.ts"
import { type Scenario, scenarioContext } from "../scenarios/scenario.ts"
import { idDomains } from "../shrinkers/ids.ts"
import { isOneMinimal } from "../shrinkers/one-minimal.ts"
import { shrinkTrace } from "../shrinkers/shrink-trace.ts"
import { type Finding, fromList, MODEL_DEFECT, type NextCommand, runTrace, type TraceResult } from "./run-trace.ts"

/** Budget and seed of a search. */
export interface SearchOptions {
  /** Traces per pass (fast-check `numRuns`). */
  readonly runs: number
  /** fast-check seed (a 32-bit integer). */
  readonly seed: number
  /** Longest trace, in commands. */
  readonly maxSteps: number
  /** The properties to check. */
  readonly properties: ReadonlyArray<Property>
  /** Milliseconds since an origin, for `firstFoundMs`; the CLI passes `performance.now`. */
  readonly now: () => number
  /** Whether to shrink what is found (default true); without, a violation keeps its raw trace. */
  readonly shrink?: boolean
  /** Stop at the first violation found (default false: look for every property). */
  readonly firstOnly?: boolean
  /**
   * Let fast-check shrink the generated choices before iovcheck's shrinkers (default false). Traces
   * are at least `maxSteps / 2` long, which fast-check keeps while it shrinks values only, so its
   * shrinking costs many runs for little; iovcheck's shrinkers cut the commands themselves.
   */
  readonly fastCheckShrink?: boolean
}

/** A violation found and shrunk. */
export interface Violation extends Finding {
  /** The shrunk, 1-minimal-checked trace; `commands[stepIndex]` is the violating step (the last). */
  readonly commands: ReadonlyArray<Command>
  /** Length of the trace fast-check reported before iovcheck's shrinker. */
  readonly fastCheckLength: number
  /** Whether no single command can be removed without losing the violation. */
  readonly oneMinimal: boolean
  /** Milliseconds of searching (shrinking of earlier findings excluded) to the first trace that violated it. */
  readonly firstFoundMs: number
  /** Whether the trace fast-check found was a swarm trace (a subset of command kinds). */
  readonly swarm: boolean
  /** Whether it was a progress-biased trace (one choice in three moves a procedure on). */
  readonly progress: boolean
  /** fast-check seed and counterexample path of the pass that found it. */
  readonly seed: number
  readonly path: string
}

/** What a search did and found. */
export interface SearchResult {
  /** Traces run, all passes, shrinking included. */
  readonly runs: number
  /** Commands executed, all traces. */
  readonly commands: number
  readonly elapsedMs: number
  /** Of `elapsedMs`, the time spent shrinking found violations. */
  readonly shrinkMs: number
  /** In the order found; a model defect is reported with property `"model-defect"`. */
  readonly violations: ReadonlyArray<Violation>
}

/**
 * Kinds that undo what a trace built with a function (it disappears, stops answering, goes to the
 * host or another VM, or is reset, its TDI to ERROR): chosen one time in four as often as the
 * others, so most traces keep their devices long enough to reach deep bugs, while every trace may
 * still remove, hang, release, reassign or reset one.
 */
const RARE_KINDS: ReadonlySet<string> = new Set([
  "DeviceSurpriseRemoval",
  "DeviceHang",
  "HostReleaseFunction",
  "HostReassignFunction",
  "GuestResetFunction",
])

/** The kinds that move a procedure on: its next operation, a device's Invalidation Completion. */
const PROGRESS_KINDS: ReadonlySet<string> = new Set(["HostAdvance", "DeviceCompleteAtsInvalidation"])

/**
 * Picks a command among `enabled(state)` with a choice: first a command kind (tag) uniformly among
 * the kinds enabled, then a command of that kind. Choosing kinds first keeps rare kinds (advancing
 * a procedure, completing an invalidation) as likely as the many device requests, which is what
 * ordering bugs need. Kinds that undo a function's part in the trace (removal, hang, release,
 * reassignment, reset) are four times rarer than the others. With `progress`, one choice in three goes to a kind that moves a procedure
 * on, when one is enabled: a procedure of eight operations (a release) then completes within the
 * trace while other commands still interleave between any two of its steps. Pure and
 * deterministic: the same choice in the same state picks the same command.
 */
export const pickCommand = (
  options: ReadonlyArray<Command>,
  choice: number,
  swarm?: Swarm,
  progress?: boolean,
): Command | undefined => pickFrom(kindTable(options, swarm), options, choice, progress)

/**
 * The kinds among a state's options that {@link pickCommand} chooses from (after the swarm), and
 * the subsets it narrows them to, computed once per options list: a trace that stays in a state
 * (a command that changes nothing) picks again from the same table.
 */
interface KindTable {
  readonly kinds: ReadonlyArray<string>
  /** Kinds not in `RARE_KINDS`, when some are and some are not (else `undefined`: no narrowing). */
  readonly common: ReadonlyArray<string> | undefined
  readonly movingOfKinds: ReadonlyArray<string>
  readonly movingOfCommon: ReadonlyArray<string>
  readonly counts: ReadonlyMap<string, number>
}

const kindTable = (options: ReadonlyArray<Command>, swarm: Swarm | undefined): KindTable => {
  const counts = new Map<string, number>()
  const seen: Array<string> = []
  for (let i = 0; i < options.length; i++) {
    const tag = (options[i] as Command)._tag
    const n = counts.get(tag)
    if (n === undefined) seen.push(tag)
    counts.set(tag, (n ?? 0) + 1)
  }
  const kept = swarm === undefined ? seen : seen.filter((k) => swarm.has(k))
  const kinds = kept.length > 0 ? kept : seen
  const common: Array<string> = []
  const movingOfKinds: Array<string> = []
  const movingOfCommon: Array<string> = []
  for (const k of kinds) {
    const moving = PROGRESS_KINDS.has(k)
    if (moving) movingOfKinds.push(k)
    if (RARE_KINDS.has(k)) continue
    common.push(k)
    if (moving) movingOfCommon.push(k)
  }
  const narrowed = common.length > 0 && common.length < kinds.length
  return {
    kinds,
    common: narrowed ? common : undefined,
    movingOfKinds,
    movingOfCommon: narrowed ? movingOfCommon : [],
    counts,
  }
}

const pickFrom = (
  table: KindTable,
  options: ReadonlyArray<Command>,
  choice: number,
  progress: boolean | undefined,
): Command | undefined => {
  if (options.length === 0) return undefined
  let kinds = table.kinds
  let c = choice
  let moving = table.movingOfKinds
  if (table.common !== undefined) {
    if (c % 4 !== 0) {
      kinds = table.common
      moving = table.movingOfCommon
    }
    c = Math.floor(c / 4)
  }
  if (progress === true && moving.length > 0) {
    if (c % 3 === 0) kinds = moving
    c = Math.floor(c / 3)
  }
  const kind = kinds[c % kinds.length] as string
  let n = Math.floor(c / kinds.length) % (table.counts.get(kind) as number)
  for (let i = 0; i < options.length; i++) {
    const o = options[i] as Command
    if (o._tag === kind && n-- === 0) return o
  }
  return undefined
}

/**
 * Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012): each trace leaves a random subset of
 * command kinds out, so a trace can dwell on the few kinds a bug needs instead of spreading over
 * all of them. A swarm is the set of kinds a trace may use; when none of them is enabled in a
 * state, every enabled kind is allowed for that step.
 */
export type Swarm = ReadonlySet<string>

/** Every command kind, in the order of the Command schema; swarm masks index into it. */
export const COMMAND_KINDS: ReadonlyArray<CommandTag> = Command.members.map((m) => m.fields._tag.schema.literal)

/** Kinds one 31-bit word of a swarm mask covers. */
const KINDS_PER_WORD = 31

/**
 * The swarm of a mask given as 31-bit words: kind i is kept when bit i % 31 of word ⌊i / 31⌋ is
 * set (a missing word keeps nothing). Every kind can be kept, however many kinds there are.
 */
export const swarmOf = (words: ReadonlyArray<number>): Swarm =>
  new Set(
    COMMAND_KINDS.filter((_, i) => (((words[Math.floor(i / KINDS_PER_WORD)] ?? 0) >>> (i % KINDS_PER_WORD)) & 1) === 1),
  )

/** Number of 31-bit words a swarm mask needs for every command kind. */
const SWARM_WORDS = Math.ceil(COMMAND_KINDS.length / KINDS_PER_WORD)

/**
 * A `NextCommand` that interprets choices against `enabled(state)` (see {@link pickCommand}). A
 * step that leaves the state as it was (the same object) picks from the options computed before:
 * `enabled` is a function of the state.
 */
export const fromChoices = (choices: ReadonlyArray<number>, swarm?: Swarm, progress?: boolean): NextCommand => {
  let last: State | undefined
  let options: ReadonlyArray<Command> = []
  let table: KindTable | undefined
  return (state, i) => {
    const choice = choices[i]
    if (choice === undefined) return undefined
    if (state !== last || table === undefined) {
      last = state
      options = enabled(state)
      table = kindTable(options, swarm)
    }
    return pickFrom(table, options, choice, progress)
  }
}

/**
 * A trace's mode from its `mode` number: every kind or a swarm (bit 0), with or without the
 * progress bias (bit 1), so a quarter of the traces are of each of the four modes.
 */
export const traceMode = (mode: number): { readonly swarm: boolean; readonly progress: boolean } => ({
  swarm: mode % 2 === 1,
  progress: Math.floor(mode / 2) % 2 === 1,
})

/** Runs one trace synchronously under the scenario's services. */
const runSync = (
  services: Context.Context<Vendor | Policy | ProgramsService>,
  initial: State,
  next: NextCommand,
  checked: ReadonlyArray<Property>,
): TraceResult => Effect.runSync(Effect.provideContext(runTrace(initial, next, checked), services))

/**
 * Searches a scenario for violations of `options.properties`. Deterministic for a given scenario,
 * seed, runs and maxSteps (timings aside).
 */
export const search = (scenario: Scenario, options: SearchOptions): SearchResult => {
  const started = options.now()
  const services = scenarioContext(scenario)
  const initial = initialState(scenario.topology)
  const arbitrary = fc.record({
    swarm: fc.noBias(fc.nat({ max: 0x7fffffff })),
    mask: fc.array(fc.noBias(fc.nat({ max: 0x7fffffff })), { minLength: SWARM_WORDS, maxLength: SWARM_WORDS }),
    choices: fc.noBias(
      fc.array(fc.nat({ max: 0x7fffffff }), {
        minLength: Math.ceil(options.maxSteps / 2),
        maxLength: options.maxSteps,
        size: "max",
      }),
    ),
  })
  /** A quarter of the traces in each mode: every kind or a swarm, with or without the progress bias. */
  const next = ({
    swarm,
    mask,
    choices,
  }: {
    readonly swarm: number
    readonly mask: ReadonlyArray<number>
    readonly choices: ReadonlyArray<number>
  }) => {
    const mode = traceMode(swarm)
    return fromChoices(choices, mode.swarm ? swarmOf(mask) : undefined, mode.progress)
  }
  const violations: Array<Violation> = []
  const firstSeen = new Map<string, number>()
  let runs = 0
  let commands = 0
  let shrinkingMs = 0
  let remaining = options.properties
  /** Once a model defect is reported, traces that die of one more no longer count as failures. */
  let defectFound = false
  const failing = (finding: Finding | undefined): finding is Finding =>
    finding !== undefined && !(defectFound && finding.property === MODEL_DEFECT)
  while (remaining.length > 0) {
    const checked = remaining
    const property = fc.property(arbitrary, (generated) => {
      const result = runSync(services, initial, next(generated), checked)
      runs++
      commands += result.commands.length
      if (!failing(result.finding)) return true
      if (!firstSeen.has(result.finding.property))
        firstSeen.set(result.finding.property, options.now() - started - shrinkingMs)
      return false
    })
    const shrink = options.shrink !== false
    const details = fc.check(property, {
      seed: options.seed,
      numRuns: options.runs,
      endOnFailure: !shrink || options.fastCheckShrink !== true,
    })
    if (!details.failed || details.counterexample === null) break
    const shrinkStarted = options.now()
    const [generated] = details.counterexample
    const found = runSync(services, initial, next(generated), checked)
    const finding = found.finding
    if (!failing(finding)) break
    const defect = finding.property === MODEL_DEFECT
    const target = checked.filter((p) => p.id === finding.property)
    const fails = (candidate: ReadonlyArray<Command>): ReadonlyArray<Command> | undefined => {
      const r = runSync(services, initial, fromList(candidate), target)
      runs++
      commands += r.commands.length
      return r.finding?.property === finding.property ? r.commands : undefined
    }
    const targetProperty = target[0]
    const shrunk = !shrink
      ? found.commands
      : shrinkTrace(
          found.commands,
          fails,
          idDomains(scenario.topology),
          targetProperty === undefined ? undefined : { scenario, property: targetProperty },
        )
    const final = runSync(services, initial, fromList(shrunk), target)
    violations.push({
      ...(final.finding ?? finding),
      commands: final.commands,
      fastCheckLength: found.commands.length,
      oneMinimal: isOneMinimal(final.commands, fails),
      firstFoundMs: firstSeen.get(finding.property) ?? 0,
      swarm: traceMode(generated.swarm).swarm,
      progress: traceMode(generated.swarm).progress,
      seed: details.seed,
      path: details.counterexamplePath ?? "",
    })
    shrinkingMs += options.now() - shrinkStarted
    if (options.firstOnly === true) break
    if (defect) defectFound = true
    else remaining = remaining.filter((p) => p.id !== finding.property)
  }
  return { runs, commands, elapsedMs: options.now() - started, shrinkMs: shrinkingMs, violations }
}
