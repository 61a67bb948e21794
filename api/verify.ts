/**
 * `verify`: the random search of `iovcheck verify` as a function. Each scenario is searched with
 * the random driver (`drivers/random.ts`); each violated property's shrunk trace is written as a
 * counterexample file `OUT/<scenario>/<property>.json` with its `.md` and `.html` reports beside
 * it. The result is the `verify --json` document (`reports/verify-report.ts`), the very type the
 * CLI prints.
 *
 * @module
 */
import { counterexampleOf } from "../counterexamples/counterexample-file.ts"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation, type ScenarioReport, type VerifyReport } from "../reports/verify-report.ts"
import type { Scenario } from "../scenarios/scenario.ts"
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
}

/** The defaults of `iovcheck verify`: traces per pass, longest trace, seed, output folder. */
export const VERIFY_DEFAULTS = { runs: 3000, maxSteps: 100, seed: 1, out: "iovcheck-out" } as const

/**
 * Searches one scenario and writes one counterexample file per violated property; returns its
 * entry of the `verify --json` document. Deterministic for a scenario, seed, runs and maxSteps
 * (timings aside). Synchronous: it blocks for the whole search (seconds to a minute). Throws a
 * Node system error when `out` cannot be written.
 */
export const verifyScenario = (scenario: Scenario, options: VerifyOptions = {}): ScenarioReport => {
  const { runs, seed, maxSteps, out } = { ...VERIFY_DEFAULTS, ...options }
  const result = search(scenario, { runs, seed, maxSteps, properties, now: () => performance.now() })
  const violations = result.violations.map((v) => ({
    property: v.property,
    firstFoundMs: Math.round(v.firstFoundMs * 10) / 10,
    shrunkLength: v.commands.length,
    oneMinimal: v.oneMinimal,
    stepIndex: v.stepIndex,
    message: v.message,
    file: writeCounterexample(out, counterexampleOf(scenario, v, version)),
  }))
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
    elapsedMs: Math.round(result.elapsedMs),
    violations,
  }
}

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
