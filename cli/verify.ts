/**
 * `iovcheck verify [--scenario ID_OR_FILE]... [--runs N] [--seed N] [--max-steps N] [--explore-states N] [--workers N] [--out DIR] [--json]`
 *
 * Searches each scenario (default: the whole catalogue) with the random driver and then a bounded
 * exploration for the properties it did not violate (`api/verify.ts`), several scenarios at once on
 * `--workers` threads (`verify-worker.ts`; the same verdicts on any number), writes one
 * counterexample file per violated property to `OUT/<scenario>/<property>.json` (with `.md` and
 * `.html` reports beside it) and the run's `summary.json`, `summary.md` and `junit.xml`, and prints
 * the verdict table (or, with `--json`, the document of `reports/verify-report.ts`). Exit 0 when every
 * verdict matches its expectation (a scenario without one: when it is safe), 1 otherwise, 2 on bad
 * usage or input.
 *
 * @module
 */
import { existsSync } from "node:fs"
import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { VERIFY_DEFAULTS, type VerifyOptions } from "../api/verify.ts"
import {
  renderVerifyTable,
  type ScenarioReport,
  type VerifyReport,
  verifyReportJson,
} from "../reports/verify-report.ts"
import { catalogue, resolveScenario, ScenarioError } from "../scenarios/catalogue.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { jsonFlag, nonNegativeInt, outFlag, positiveInt, scenarioFlag } from "./flags.ts"
import { ExitCode, exitWith, signalExitCode, UsageError } from "./exit-codes.ts"
import { prepareOutDir, writeSummary } from "./outputs.ts"
import { listenForStop, turnEventLoop } from "./signals.ts"
import { type VerifyWorkerMessage, type VerifyWorkerRequest, verifyOne } from "./verify-worker.ts"
import { version } from "./version.ts"

/**
 * Searches `scenarios` on `workers` threads, each taking the next scenario when it completes one,
 * and calls `onMessage` with each report (or crash) as it arrives; no scenario is begun once
 * `stopped()` says so or a search crashed. Resolves when every thread has ended. On one worker, or
 * from the TypeScript sources (tests run in-process, no compiled worker exists), the scenarios run
 * on the calling thread, the event loop turning between them so that a signal is seen.
 */
const runScenarios = (
  scenarios: ReadonlyArray<Scenario>,
  options: VerifyOptions,
  workers: number,
  stopped: () => boolean,
  onMessage: (m: VerifyWorkerMessage) => void,
): Promise<void> => {
  const url = new URL("./verify-worker.js", import.meta.url)
  let crashed = false
  const receive = (m: VerifyWorkerMessage) => {
    if (m._tag === "Crash") crashed = true
    onMessage(m)
  }
  if (workers <= 1 || scenarios.length <= 1 || !existsSync(fileURLToPath(url)))
    return (async () => {
      for (const [index, scenario] of scenarios.entries()) {
        await new Promise((resolve) => setImmediate(resolve))
        if (stopped() || crashed) break
        receive(verifyOne(index, scenario, options))
      }
    })()
  let next = 0
  const dispatch = (w: Worker) => {
    const request: VerifyWorkerRequest =
      next < scenarios.length && !stopped() && !crashed
        ? { _tag: "Verify", index: next, scenario: scenarios[next++] as Scenario }
        : { _tag: "Done" }
    w.postMessage(request)
  }
  const threads = Math.min(workers, scenarios.length)
  let live = threads
  return new Promise((resolve) => {
    for (let t = 0; t < threads; t++) {
      const w = new Worker(url, { workerData: { verifyWorker: true, options } })
      w.on("message", (m: VerifyWorkerMessage) => {
        receive(m)
        dispatch(w)
      })
      w.on("error", (e) => receive({ _tag: "Crash", index: -1, message: e.message, system: false }))
      w.on("exit", () => {
        if (--live === 0) resolve()
      })
      dispatch(w)
    }
  })
}

const thousands = (n: number): string => n.toLocaleString("en-US")

/** A scenario's progress line: its verdict, the random search's size, the exploration's, the time. */
const progressLine = (r: ScenarioReport): string => {
  const e = r.explored
  const explored =
    e === undefined || e === null || e.stoppedBy === "all-violated"
      ? ""
      : e.stoppedBy === "exhausted"
        ? `; every reachable state explored (${thousands(e.distinctStates)}, depth ${e.depthCompleted})`
        : `; explored to depth ${e.depthCompleted} (${thousands(e.distinctStates)} states)`
  return `${r.id}: ${r.verdict} (${r.runs} runs, ${r.commands} commands${explored}, ${r.elapsedMs} ms)`
}

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
    exploreStates: Flag.Int("explore-states").pipe(
      Flag.withDescription(
        `Budget of distinct states of the breadth-first exploration after the random search, for the properties it did not violate; 0: none (default ${VERIFY_DEFAULTS.exploreStates})`,
      ),
      Flag.withDefault(VERIFY_DEFAULTS.exploreStates),
    ),
    workers: Flag.Int("workers").pipe(
      Flag.withDescription(
        "Scenarios searched at once, one per thread (default: every core Node sees); the same verdicts on any number",
      ),
      Flag.optional,
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
        const exploreStates = yield* nonNegativeInt("explore-states", flags.exploreStates)
        const workers = yield* positiveInt(
          "workers",
          Option.getOrElse(flags.workers, () => availableParallelism()),
        )
        const seed = Option.getOrElse(flags.seed, () => VERIFY_DEFAULTS.seed)
        const scenarios = yield* loadScenarios(flags.scenario)
        yield* prepareOutDir(flags.out)
        const console = yield* Console.Console
        const stop = listenForStop()
        const started = performance.now()
        const done: Array<{ readonly index: number; readonly report: ScenarioReport }> = []
        const crashes: Array<{ readonly message: string; readonly system: boolean }> = []
        yield* Effect.promise(() =>
          runScenarios(
            scenarios,
            { runs, seed, maxSteps, exploreStates, out: flags.out },
            workers,
            () => stop.received() !== undefined,
            (m) => {
              if (m._tag === "Crash") crashes.push(m)
              else {
                done.push(m)
                if (!flags.json) console.error(progressLine(m.report))
              }
            },
          ),
        )
        const reports = done.sort((a, b) => a.index - b.index).map((d) => d.report)
        const crash = crashes[0]
        if (crash !== undefined) {
          stop.dispose()
          yield* Console.error(
            crash.system ? `iovcheck: ${crash.message}` : `iovcheck: internal error in verify: ${crash.message}`,
          )
          return yield* exitWith(crash.system ? ExitCode.usage : ExitCode.internal)
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
    `Search every scenario for property violations (random traces, then a bounded breadth-first exploration) and print a verdict table; writes OUT/<scenario>/<property>.json and OUT/summary.json (default OUT: ${VERIFY_DEFAULTS.out}). Exit 0 every verdict as expected, 1 otherwise, 2 bad usage or input, 130/143 interrupted (the completed scenarios are summarized)`,
  ),
)
