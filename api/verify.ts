/**
 * `verify`: the search of `iovcheck verify` as a function. Each scenario is searched with the
 * random driver (`drivers/random.ts`), then, for the properties it did not violate, explored
 * breadth-first within a budget of distinct states (`drivers/exhaustive/bfs.ts`): random traces
 * reach deep bugs of long interleavings, the exploration every short trace, so that a bug of 7–8
 * commands in a row among 16 command kinds (the TDISP chains of seed thread 004, about one random
 * trace in 4,000) is not left to the seed. Each violated property's trace (shrunk, or shortest
 * when the exploration found it) is written as a counterexample file
 * `OUT/<scenario>/<property>.json` with its `.md` and `.html` reports beside it. The result is the
 * `verify --json` document (`reports/verify-report.ts`), the very type the CLI prints.
 *
 * @module
 */
import { Effect } from "effect"
import { counterexampleOf, exploreCounterexampleOf } from "../counterexamples/counterexample-file.ts"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { search } from "../drivers/random.ts"
import { fromList, MODEL_DEFECT, runTrace } from "../drivers/run-trace.ts"
import type { Command } from "../model/command.ts"
import { initialState } from "../model/init.ts"
import { properties } from "../properties/catalogue.ts"
import type { Property } from "../properties/property.ts"
import {
  type Explored,
  matchesExpectation,
  type ScenarioReport,
  type VerifyReport,
  type ViolationReport,
} from "../reports/verify-report.ts"
import { type Scenario, scenarioContext } from "../scenarios/scenario.ts"
import { isOneMinimal } from "../shrinkers/one-minimal.ts"
import { writeCounterexample } from "../cli/outputs.ts"
import { version } from "../cli/version.ts"

/** Budget, seed and output folder of a search; every field has the CLI's default. */
export interface VerifyOptions {
  /** Traces per search pass (fast-check `numRuns`); default 3000. */
  readonly runs?: number
  /** fast-check seed (a 32-bit integer); default 1. */
  readonly seed?: number
  /** Longest trace, in commands; default 100 (traces are between half of it and it). */
  readonly maxSteps?: number
  /** Folder the counterexample files go to (created when absent); default `iovcheck-out`. */
  readonly out?: string
  /**
   * Budget of distinct states of the exploration after the random search (0: none); default
   * 100,000 (seconds per scenario; depth 8 on the TDISP scenarios, 5–8 on the nested ones, every
   * reachable state on the small ones).
   */
  readonly exploreStates?: number
}

/** The defaults of `iovcheck verify`: traces per pass, longest trace, seed, output folder, exploration budget. */
export const VERIFY_DEFAULTS = {
  runs: 3000,
  maxSteps: 100,
  seed: 1,
  out: "iovcheck-out",
  exploreStates: 100_000,
} as const

/** Whether no single command can be removed from `commands` without losing `property`'s violation. */
const oneMinimal = (scenario: Scenario, commands: ReadonlyArray<Command>, property: Property): boolean => {
  const services = scenarioContext(scenario)
  const initial = initialState(scenario.topology)
  return isOneMinimal(commands, (candidate) => {
    const r = Effect.runSync(Effect.provideContext(runTrace(initial, fromList(candidate), [property]), services))
    return r.finding?.property === property.id ? r.commands : undefined
  })
}

/**
 * Explores `scenario` breadth-first within `maxStates` distinct states for the `remaining`
 * properties; writes each violation's shortest trace to `out` and reports it with `firstFoundMs`
 * counted from `startMs` (the random search's time before it).
 */
const exploreRemaining = (
  scenario: Scenario,
  remaining: ReadonlyArray<Property>,
  maxStates: number,
  out: string,
  startMs: number,
): { readonly explored: Explored; readonly violations: ReadonlyArray<ViolationReport> } => {
  const r = explore(iovcheckModel(scenario, remaining), {
    depth: Number.MAX_SAFE_INTEGER,
    maxStates,
    now: () => performance.now(),
  })
  const violations = r.violations.map((v) => {
    const property = remaining.find((p) => p.id === v.property)
    return {
      property: v.property,
      firstFoundMs: Math.round((startMs + (v.foundMs ?? r.elapsedMs)) * 10) / 10,
      shrunkLength: v.commands.length,
      oneMinimal: property === undefined ? true : oneMinimal(scenario, v.commands, property),
      stepIndex: v.commands.length - 1,
      message: v.message,
      file: writeCounterexample(out, exploreCounterexampleOf(scenario, v, version)),
      foundBy: "explore" as const,
    }
  })
  return {
    explored: {
      depthCompleted: r.depthCompleted,
      distinctStates: r.distinctStates,
      stoppedBy: r.stoppedBy,
      elapsedMs: Math.round(r.elapsedMs),
    },
    violations,
  }
}

/**
 * Searches one scenario (the random search, then the exploration for the properties it did not
 * violate) and writes one counterexample file per violated property; returns its entry of the
 * `verify --json` document. Deterministic for a scenario, seed, runs, maxSteps and exploreStates
 * (timings aside). Synchronous: it blocks for the whole search (seconds to a minute). Throws a
 * Node system error when `out` cannot be written.
 */
export const verifyScenario = (scenario: Scenario, options: VerifyOptions = {}): ScenarioReport => {
  const { runs, seed, maxSteps, out, exploreStates } = { ...VERIFY_DEFAULTS, ...options }
  const started = performance.now()
  const result = search(scenario, { runs, seed, maxSteps, properties, now: () => performance.now() })
  const random = result.violations.map((v) => ({
    property: v.property,
    firstFoundMs: Math.round(v.firstFoundMs * 10) / 10,
    shrunkLength: v.commands.length,
    oneMinimal: v.oneMinimal,
    stepIndex: v.stepIndex,
    message: v.message,
    file: writeCounterexample(out, counterexampleOf(scenario, v, version)),
    foundBy: "random" as const,
  }))
  const remaining = properties.filter((p) => !random.some((v) => v.property === p.id))
  const exploration =
    exploreStates > 0 && remaining.length > 0
      ? exploreRemaining(scenario, remaining, exploreStates, out, result.elapsedMs - result.shrinkMs)
      : undefined
  // A model defect the random search reported is not reported twice.
  const violations = [
    ...random,
    ...(exploration?.violations ?? []).filter(
      (v) => v.property !== MODEL_DEFECT || !random.some((r) => r.property === MODEL_DEFECT),
    ),
  ]
  return {
    id: scenario.id,
    expected: scenario.expected ?? null,
    verdict: violations.length === 0 ? "safe" : "unsafe",
    asExpected: matchesExpectation(
      scenario.expected,
      violations.map((v) => v.property),
    ),
    runs: result.runs,
    commands: result.commands,
    elapsedMs: Math.round(performance.now() - started),
    violations,
    explored: exploration?.explored ?? (exploreStates > 0 ? emptyExploration : null),
  }
}

/** The exploration of a scenario whose random search violated every property: nothing left to explore. */
const emptyExploration: Explored = { depthCompleted: 0, distinctStates: 0, stoppedBy: "all-violated", elapsedMs: 0 }

/**
 * Searches each scenario in turn (see {@link verifyScenario}) and returns the `verify --json`
 * document: `asExpected` tells, per scenario, whether the violated properties are exactly the
 * expected ones.
 */
export const verify = (scenarios: Scenario | ReadonlyArray<Scenario>, options: VerifyOptions = {}): VerifyReport => ({
  iovcheck: version,
  seed: options.seed ?? VERIFY_DEFAULTS.seed,
  interrupted: false,
  scenarios: (Array.isArray(scenarios) ? (scenarios as ReadonlyArray<Scenario>) : [scenarios as Scenario]).map((s) =>
    verifyScenario(s, options),
  ),
})
