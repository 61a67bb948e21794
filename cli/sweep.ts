/**
 * `iovcheck sweep [--all] [--runs N] [--max-steps N] [--depth K] [--max-states N] [--seed N]
 * [--shard I/N] [--out DIR] [--json]`
 *
 * The combination sweep (`drivers/sweep/`): generates scenarios from the feature grid — pairwise by
 * default, every feature combination with `--all` — under the default policy, and checks each with
 * the random search (`--runs` traces per pass, up to `--max-steps` commands) and a breadth-first
 * exploration (to `--depth`, within `--max-states` distinct states). Every generated scenario is
 * expected safe: a violation or a model defect is written as an ordinary counterexample file to
 * `OUT/<scenario>/<property>.json` (with `.md`/`.html` reports) and listed in the table. `--shard
 * I/N` takes every N-th scenario from the I-th (a CI matrix splits `--all` that way). Exit 0 when
 * every scenario is safe, 1 otherwise, 2 on bad usage, 130/143 when interrupted (SIGINT/SIGTERM:
 * the sweep stops between scenarios and summarizes the completed ones). `--json` prints the
 * document of `reports/sweep-report.ts`; `summary.json`, `summary.md` and `junit.xml` are written
 * to `OUT`.
 *
 * @module
 */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { counterexampleOf, exploreCounterexampleOf } from "../counterexamples/counterexample-file.ts"
import { parseShard } from "../drivers/fuzz/schedule.ts"
import { sweepOne, sweepScenarios } from "../drivers/sweep/sweep.ts"
import { MODEL_DEFECT } from "../drivers/run-trace.ts"
import { properties } from "../properties/catalogue.ts"
import { renderSweepTable, type SweepReport, type SweepScenarioReport } from "../reports/sweep-report.ts"
import { ExitCode, exitWith, signalExitCode, UsageError } from "./exit-codes.ts"
import { jsonFlag, outFlag, positiveInt } from "./flags.ts"
import { prepareOutDir, writeCounterexample, writeSummary } from "./outputs.ts"
import { listenForStop, turnEventLoop } from "./signals.ts"
import { version } from "./version.ts"

/** Default budget of each generated scenario, and the output folder. */
export const SWEEP_DEFAULTS = {
  runs: 500,
  maxSteps: 100,
  depth: 6,
  maxStates: 100_000,
  seed: 1,
  out: "iovcheck-sweep",
} as const

/** The `sweep` command. */
export const sweepCommand = Command.make(
  "sweep",
  {
    all: Flag.Boolean("all").pipe(
      Flag.withDescription("Every feature combination instead of a pairwise covering array"),
      Flag.withDefault(false),
    ),
    runs: Flag.Int("runs").pipe(
      Flag.withDescription(`Random traces per search pass (default ${SWEEP_DEFAULTS.runs})`),
      Flag.withDefault(SWEEP_DEFAULTS.runs),
    ),
    maxSteps: Flag.Int("max-steps").pipe(
      Flag.withDescription(`Longest random trace, in commands (default ${SWEEP_DEFAULTS.maxSteps})`),
      Flag.withDefault(SWEEP_DEFAULTS.maxSteps),
    ),
    depth: Flag.Int("depth").pipe(
      Flag.withDescription(`Exploration depth (default ${SWEEP_DEFAULTS.depth})`),
      Flag.withDefault(SWEEP_DEFAULTS.depth),
    ),
    maxStates: Flag.Int("max-states").pipe(
      Flag.withDescription(`Distinct states explored per scenario (default ${SWEEP_DEFAULTS.maxStates})`),
      Flag.withDefault(SWEEP_DEFAULTS.maxStates),
    ),
    seed: Flag.Int("seed").pipe(Flag.withDescription("fast-check seed (default 1)"), Flag.optional),
    shard: Flag.String("shard").pipe(Flag.withDescription("Run shard I of N of the scenarios (I/N)"), Flag.optional),
    out: outFlag(SWEEP_DEFAULTS.out),
    json: jsonFlag("Print the JSON document instead of the table"),
  },
  (flags) =>
    Effect.uninterruptible(
      Effect.gen(function* () {
        const runs = yield* positiveInt("runs", flags.runs)
        const maxSteps = yield* positiveInt("max-steps", flags.maxSteps)
        const depth = yield* positiveInt("depth", flags.depth)
        const maxStates = yield* positiveInt("max-states", flags.maxStates)
        const seed = Option.getOrElse(flags.seed, () => SWEEP_DEFAULTS.seed)
        const shardText = Option.getOrElse(flags.shard, () => "1/1")
        const shard = parseShard(shardText)
        if (shard === undefined)
          return yield* Effect.fail(new UsageError({ message: `--shard must be I/N with 1 ≤ I ≤ N, got ${shardText}` }))
        const mode = flags.all ? "all" : "pairwise"
        yield* prepareOutDir(flags.out)
        const stop = listenForStop()
        const started = performance.now()
        const generated = sweepScenarios(mode).filter((_, i) => i % shard.count === shard.index - 1)
        const reports: Array<SweepScenarioReport> = []
        for (const { point, scenario } of generated) {
          yield* turnEventLoop
          if (stop.received() !== undefined) break
          const r = sweepOne(point, scenario, {
            runs,
            maxSteps,
            seed,
            depth,
            maxStates,
            properties,
            now: () => performance.now(),
          })
          const violations = r.findings.map((f) => {
            const file = writeCounterexample(
              flags.out,
              f.violation === undefined
                ? exploreCounterexampleOf(scenario, f, version)
                : counterexampleOf(scenario, f.violation, version),
            )
            return { property: f.property, driver: f.driver, length: f.commands.length, message: f.message, file }
          })
          const report: SweepScenarioReport = {
            id: scenario.id,
            features: point,
            verdict: violations.length === 0 ? "safe" : "unsafe",
            asExpected: violations.length === 0,
            runs: r.runs,
            commands: r.commands,
            depthCompleted: r.depthCompleted,
            distinctStates: r.distinctStates,
            stoppedBy: r.stoppedBy,
            elapsedMs: Math.round(r.elapsedMs),
            violations,
          }
          reports.push(report)
          if (!flags.json)
            yield* Console.error(
              `${scenario.id}: ${report.verdict} (${r.runs} runs, depth ${r.depthCompleted}, ${r.distinctStates} states, ${report.elapsedMs} ms)`,
            )
        }
        yield* turnEventLoop
        stop.dispose()
        const signal = stop.received()
        const report: SweepReport = {
          iovcheck: version,
          interrupted: signal !== undefined,
          mode,
          seed,
          shard: `${shard.index}/${shard.count}`,
          budget: { runs, maxSteps, depth, maxStates },
          totals: {
            scenarios: reports.length,
            unsafe: reports.filter((r) => r.verdict === "unsafe").length,
            modelDefects: reports.filter((r) => r.violations.some((v) => v.property === MODEL_DEFECT)).length,
            distinctStates: reports.reduce((n, r) => n + r.distinctStates, 0),
            commands: reports.reduce((n, r) => n + r.commands, 0),
            elapsedMs: Math.round(performance.now() - started),
          },
          scenarios: reports,
        }
        writeSummary(
          flags.out,
          "iovcheck sweep",
          JSON.stringify(report, null, 2),
          reports.map((r) => ({ ...r, expected: "safe" as const })),
          { missedExpected: "failure", elapsedMs: performance.now() - started },
        )
        yield* Console.log(flags.json ? JSON.stringify(report, null, 2) : renderSweepTable(report))
        if (signal !== undefined)
          yield* Console.error(
            `iovcheck: interrupted by ${signal} after ${reports.length} of ${generated.length} scenarios; summary in ${flags.out}/summary.json`,
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
  Command.withShortDescription("Check generated feature combinations under the default policy: every one must be safe"),
  Command.withDescription(
    `Check generated feature combinations under the default policy (a pairwise covering array, or every combination with --all), each with the random search and a bounded exploration; every one must be safe. Writes OUT/<scenario>/<property>.json for a violation and OUT/summary.json (default OUT: ${SWEEP_DEFAULTS.out}). Exit 0 all safe, 1 a violation or model defect, 2 bad usage, 130/143 interrupted`,
  ),
)
