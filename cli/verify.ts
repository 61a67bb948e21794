/**
 * `iovcheck verify [--scenario ID_OR_FILE]... [--runs N] [--seed N] [--max-steps N] [--out DIR] [--json]`
 *
 * Searches each scenario (default: the whole catalogue) with the random driver, writes one
 * counterexample file per violated property to `OUT/<scenario>/<property>.json` (with `.md` and
 * `.html` reports beside it) and the run's `summary.json`, `summary.md` and `junit.xml`, and prints
 * the verdict table (or, with `--json`, the document of `reports/verify-report.ts`). Exit 0 when every
 * verdict matches its expectation (a scenario without one: when it is safe), 1 otherwise, 2 on bad
 * usage or input.
 *
 * @module
 */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { VERIFY_DEFAULTS, verifyScenario } from "../api/verify.ts"
import {
  renderVerifyTable,
  type ScenarioReport,
  type VerifyReport,
  verifyReportJson,
} from "../reports/verify-report.ts"
import { catalogue, resolveScenario, ScenarioError } from "../scenarios/catalogue.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { jsonFlag, outFlag, positiveInt, scenarioFlag } from "./flags.ts"
import { ExitCode, exitWith, signalExitCode, UsageError } from "./exit-codes.ts"
import { prepareOutDir, writeSummary } from "./outputs.ts"
import { listenForStop, turnEventLoop } from "./signals.ts"
import { version } from "./version.ts"

/** Loads the named scenarios, or the catalogue; bad names become a `UsageError`. */
export const loadScenarios = (names: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Scenario>, UsageError> =>
  Effect.try({
    try: () => {
      const known = catalogue()
      return names.length === 0 ? known : names.map((n) => resolveScenario(n, known))
    },
    catch: (e) => new UsageError({ message: e instanceof ScenarioError ? e.message : String(e) }),
  })

/** The `verify` command. */
export const verifyCommand = Command.make(
  "verify",
  {
    scenario: scenarioFlag,
    runs: Flag.Int("runs").pipe(
      Flag.withDescription(`Traces per search pass (default ${VERIFY_DEFAULTS.runs})`),
      Flag.withDefault(VERIFY_DEFAULTS.runs),
    ),
    seed: Flag.Int("seed").pipe(
      Flag.withDescription(`fast-check seed (default ${VERIFY_DEFAULTS.seed})`),
      Flag.optional,
    ),
    maxSteps: Flag.Int("max-steps").pipe(
      Flag.withDescription(`Longest trace, in commands (default ${VERIFY_DEFAULTS.maxSteps})`),
      Flag.withDefault(VERIFY_DEFAULTS.maxSteps),
    ),
    out: outFlag(VERIFY_DEFAULTS.out),
    json: jsonFlag("Print the JSON document instead of the table"),
  },
  (flags) =>
    // Uninterruptible: on SIGINT/SIGTERM the command finishes the scenario in progress, writes the
    // summary of the completed ones and sets the signal's exit code itself.
    Effect.uninterruptible(
      Effect.gen(function* () {
        const runs = yield* positiveInt("runs", flags.runs)
        const maxSteps = yield* positiveInt("max-steps", flags.maxSteps)
        const seed = Option.getOrElse(flags.seed, () => VERIFY_DEFAULTS.seed)
        const scenarios = yield* loadScenarios(flags.scenario)
        yield* prepareOutDir(flags.out)
        const stop = listenForStop()
        const started = performance.now()
        const reports: Array<ScenarioReport> = []
        for (const scenario of scenarios) {
          yield* turnEventLoop
          if (stop.received() !== undefined) break
          const report = verifyScenario(scenario, { runs, seed, maxSteps, out: flags.out })
          reports.push(report)
          if (!flags.json)
            yield* Console.error(
              `${scenario.id}: ${report.verdict} (${report.runs} runs, ${report.commands} commands, ${report.elapsedMs} ms)`,
            )
        }
        yield* turnEventLoop
        stop.dispose()
        const signal = stop.received()
        const report: VerifyReport = { iovcheck: version, seed, interrupted: signal !== undefined, scenarios: reports }
        writeSummary(flags.out, "iovcheck verify", verifyReportJson(report), reports, {
          missedExpected: "failure",
          elapsedMs: performance.now() - started,
        })
        yield* Console.log(flags.json ? verifyReportJson(report) : renderVerifyTable(report))
        if (!flags.json && reports.some((r) => r.violations.length > 0))
          yield* Console.log(`\ncounterexamples in ${flags.out}/; * = not 1-minimal`)
        if (signal !== undefined)
          yield* Console.error(
            `iovcheck: interrupted by ${signal} after ${reports.length} of ${scenarios.length} scenarios; summary in ${flags.out}/summary.json`,
          )
        yield* exitWith(
          signal !== undefined
            ? signalExitCode(signal)
            : reports.every((r) => r.asExpected)
              ? ExitCode.ok
              : ExitCode.finding,
        )
      }),
    ),
).pipe(
  Command.withShortDescription("Search every scenario for property violations and print a verdict table"),
  Command.withDescription(
    `Search every scenario for property violations and print a verdict table; writes OUT/<scenario>/<property>.json and OUT/summary.json (default OUT: ${VERIFY_DEFAULTS.out}). Exit 0 every verdict as expected, 1 otherwise, 2 bad usage or input, 130/143 interrupted (the completed scenarios are summarized)`,
  ),
)
