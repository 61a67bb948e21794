/**
 * `npm run mutate -- [--workers N] [--file S]... [--operator OP]... [--limit N] [--timeout SECONDS]
 * [--runs N] [--depth K] [--sweep-runs N] [--sweep-depth K] [--survivors-of REPORT] [--rejudge REPORT]
 * [--min-kill-rate P] [--list] [--keep] [--out DIR] [--json]`
 *
 * Mutation testing of `model/` (`run.ts`): writes `OUT/report.json` (the `MutationReport` Schema)
 * and `OUT/report.md`, prints the summary table (or, with `--json`, the report). Exit 0 when the
 * kill rate is at least `--min-kill-rate` (default 0), 1 when below it or when the unmutated model
 * fails the oracle (the baseline), 2 on bad usage, 130/143 when interrupted (the mutants judged so
 * far are reported).
 *
 * @module
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, exitWith, signalExitCode, UsageError } from "../cli/exit-codes.ts"
import { jsonFlag, outFlag, positiveInt } from "../cli/flags.ts"
import { prepareOutDir, writeFileAtomic } from "../cli/outputs.ts"
import { listenForStop } from "../cli/signals.ts"
import { version } from "../cli/version.ts"
import { DEFAULT_BUDGET } from "./oracle.ts"
import { jsonDecoder } from "../reports/decode-json.ts"
import { encodeReport, mutationReport, renderMarkdown, renderSummary } from "./report.ts"
import {
  BaselineError,
  describeSubset,
  generateMutants,
  rejudge,
  runMutants,
  selectMutants,
  staleEquivalences,
} from "./run.ts"
import { MutationReport, OperatorId } from "./report-schema.ts"
import { killRunning } from "./sandbox.ts"

/** Defaults of the command. */
export const MUTATE_DEFAULTS = { workers: 2, out: "iovcheck-mutate" } as const

/** Reads an earlier `report.json`; a damaged or foreign file is a `UsageError` naming what is wrong. */
const readReport = (path: string): Effect.Effect<MutationReport, UsageError> =>
  Effect.gen(function* () {
    const text = yield* Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: () => new UsageError({ message: `${path}: no such file` }),
    })
    const decoded = jsonDecoder(MutationReport)(text)
    if (decoded._tag === "Error") return yield* Effect.fail(new UsageError({ message: `${path}: ${decoded.message}` }))
    return decoded.value
  })

/** Writes `OUT/report.json` and `OUT/report.md`, prints the summary (or the report) and sets the exit code. */
const writeReport = (
  report: MutationReport,
  out: string,
  json: boolean,
  minKillRate: number,
  signal: NodeJS.Signals | undefined,
) =>
  Effect.gen(function* () {
    writeFileAtomic(join(out, "report.json"), encodeReport(report))
    writeFileAtomic(join(out, "report.md"), renderMarkdown(report))
    yield* Console.log(json ? encodeReport(report).trimEnd() : renderSummary(report))
    if (!json) yield* Console.log(`\nreport in ${out}/report.md and ${out}/report.json`)
    yield* exitWith(
      signal !== undefined
        ? signalExitCode(signal)
        : (report.totals.killRate ?? 100) >= minKillRate
          ? ExitCode.ok
          : ExitCode.finding,
    )
  })

/** The `mutate` command. */
export const mutateCommand = Command.make(
  "mutate",
  {
    workers: Flag.Int("workers").pipe(
      Flag.withDescription(`Mutants run in parallel, one core each (default ${MUTATE_DEFAULTS.workers})`),
      Flag.withDefault(MUTATE_DEFAULTS.workers),
    ),
    file: Flag.String("file").pipe(
      Flag.withDescription("Only mutants of files whose path contains this; repeatable (default: all of model/)"),
      Flag.atLeast(0),
    ),
    operator: Flag.Literals("operator", OperatorId.literals).pipe(
      Flag.withDescription("Only mutants of this operator; repeatable (default: every operator)"),
      Flag.atLeast(0),
    ),
    limit: Flag.Int("limit").pipe(
      Flag.withDescription("At most this many mutants, spread evenly over the selection"),
      Flag.optional,
    ),
    timeout: Flag.Int("timeout").pipe(
      Flag.withDescription("Seconds per mutant (default 5 × the baseline's oracle time, at least 120)"),
      Flag.optional,
    ),
    runs: Flag.Int("runs").pipe(
      Flag.withDescription(`Random traces per safe catalogue scenario (default ${DEFAULT_BUDGET.runs})`),
      Flag.withDefault(DEFAULT_BUDGET.runs),
    ),
    depth: Flag.Int("depth").pipe(
      Flag.withDescription(`Exploration depth of the safe catalogue scenarios (default ${DEFAULT_BUDGET.depth})`),
      Flag.withDefault(DEFAULT_BUDGET.depth),
    ),
    sweepRuns: Flag.Int("sweep-runs").pipe(
      Flag.withDescription(`Random traces per pairwise sweep scenario (default ${DEFAULT_BUDGET.sweepRuns})`),
      Flag.withDefault(DEFAULT_BUDGET.sweepRuns),
    ),
    sweepDepth: Flag.Int("sweep-depth").pipe(
      Flag.withDescription(`Exploration depth of the pairwise sweep scenarios (default ${DEFAULT_BUDGET.sweepDepth})`),
      Flag.withDefault(DEFAULT_BUDGET.sweepDepth),
    ),
    minKillRate: Flag.Finite("min-kill-rate").pipe(
      Flag.withDescription("Exit 1 when the kill rate (percent) is below this (default 0)"),
      Flag.withDefault(0),
    ),
    survivorsOf: Flag.String("survivors-of").pipe(
      Flag.withDescription("Only the survivors of an earlier report.json (after closing blind spots)"),
      Flag.optional,
    ),
    rejudge: Flag.String("rejudge").pipe(
      Flag.withDescription(
        "Run nothing: judge an earlier report.json again with the current equivalence and blind-spot lists, and write it to OUT",
      ),
      Flag.optional,
    ),
    list: Flag.Boolean("list").pipe(
      Flag.withDescription("Only list the selected mutants (id and description) and exit"),
      Flag.withDefault(false),
    ),
    keep: Flag.Boolean("keep").pipe(
      Flag.withDescription("Keep the work folder (staging build, lanes, witnesses) and print its path"),
      Flag.withDefault(false),
    ),
    out: outFlag(MUTATE_DEFAULTS.out),
    json: jsonFlag("Print the report document instead of the summary table"),
  },
  (flags) =>
    // Uninterruptible: on SIGINT/SIGTERM the run ends its oracle processes, reports the mutants
    // judged so far and sets the signal's exit code itself.
    Effect.uninterruptible(
      Effect.gen(function* () {
        const workers = yield* positiveInt("workers", flags.workers)
        const limit = Option.getOrUndefined(flags.limit)
        if (limit !== undefined) yield* positiveInt("limit", limit)
        const timeout = Option.getOrUndefined(flags.timeout)
        if (timeout !== undefined) yield* positiveInt("timeout", timeout)
        const budget = {
          ...DEFAULT_BUDGET,
          runs: yield* positiveInt("runs", flags.runs),
          depth: yield* positiveInt("depth", flags.depth),
          sweepRuns: yield* positiveInt("sweep-runs", flags.sweepRuns),
          sweepDepth: yield* positiveInt("sweep-depth", flags.sweepDepth),
        }
        const root = process.cwd()
        const all = generateMutants(root)
        const rejudgeFile = Option.getOrUndefined(flags.rejudge)
        if (rejudgeFile !== undefined) {
          const earlier = yield* readReport(rejudgeFile)
          yield* prepareOutDir(flags.out)
          const report = mutationReport({
            ...earlier,
            staleEquivalences: staleEquivalences(all),
            results: rejudge(earlier.results),
          })
          return yield* writeReport(report, flags.out, flags.json, flags.minKillRate, undefined)
        }
        const survivorsFile = Option.getOrUndefined(flags.survivorsOf)
        const ids =
          survivorsFile === undefined
            ? undefined
            : (yield* readReport(survivorsFile)).results.filter((r) => r.status === "survived").map((r) => r.mutant.id)
        const subset = { ids, files: flags.file, operators: flags.operator, limit }
        const mutants = selectMutants(all, subset)
        if (mutants.length === 0)
          return yield* Effect.fail(new UsageError({ message: "no mutant matches --file/--operator/--survivors-of" }))
        if (flags.list) {
          for (const m of mutants) yield* Console.log(`${m.id}  ${m.file}:${m.line}  ${m.description}`)
          yield* Console.error(`${mutants.length} of ${all.length} mutants`)
          return yield* exitWith(ExitCode.ok)
        }
        yield* prepareOutDir(flags.out)
        const stop = listenForStop(() => killRunning())
        const started = performance.now()
        const log = (line: string) => {
          if (!flags.json) process.stderr.write(`${line}\n`)
        }
        log(`${mutants.length} of ${all.length} mutants of model/, ${workers} workers`)
        const outcome = yield* Effect.tryPromise({
          try: () =>
            runMutants(mutants, {
              root,
              witnessCache: join(flags.out, "witnesses.json"),
              workers,
              budget,
              timeoutMs: timeout === undefined ? undefined : timeout * 1000,
              keep: flags.keep,
              log,
              stopped: () => stop.received() !== undefined,
            }),
          catch: (e) => e,
        }).pipe(
          Effect.catch((e) =>
            e instanceof BaselineError
              ? Console.error(`iovcheck mutate: ${e.message}`).pipe(
                  Effect.andThen(exitWith(ExitCode.finding)),
                  Effect.as(undefined),
                )
              : Effect.die(e),
          ),
        )
        stop.dispose()
        if (outcome === undefined) return
        const report = mutationReport({
          iovcheck: version,
          interrupted: outcome.interrupted,
          subset: describeSubset(subset),
          workers,
          budget,
          baselineMs: outcome.baselineMs,
          timeoutMs: outcome.timeoutMs,
          elapsedMs: Math.round(performance.now() - started),
          staleEquivalences: staleEquivalences(all),
          results: outcome.results,
        })
        yield* writeReport(report, flags.out, flags.json, flags.minKillRate, stop.received())
      }),
    ),
).pipe(
  Command.withDescription(
    `Mutation testing of model/: semantic mutants (dropped guards, skipped invalidations, procedure programs with an operation dropped or two swapped, flipped comparisons), each built and run against the safe and unsafe catalogue and the pairwise sweep. Writes OUT/report.json and OUT/report.md (default OUT: ${MUTATE_DEFAULTS.out}). Exit 0 kill rate at least --min-kill-rate, 1 below it or the unmutated model fails the oracle, 2 bad usage, 130/143 interrupted`,
  ),
)
