/**
 * `npm run mutate -- [--workers N] [--file S]... [--operator OP]... [--limit N] [--timeout SECONDS]
 * [--runs N] [--depth K] [--sweep-runs N] [--sweep-depth K] [--min-kill-rate P] [--list] [--keep]
 * [--out DIR] [--json]`
 *
 * Mutation testing of `model/` (`run.ts`): writes `OUT/report.json` (the `MutationReport` Schema)
 * and `OUT/report.md`, prints the summary table (or, with `--json`, the report). Exit 0 when the
 * kill rate is at least `--min-kill-rate` (default 0), 1 when below it or when the unmutated model
 * fails the oracle (the baseline), 2 on bad usage, 130/143 when interrupted (the mutants judged so
 * far are reported).
 *
 * @module
 */
import { join } from "node:path"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { ExitCode, exitWith, signalExitCode, UsageError } from "../cli/exit-codes.ts"
import { jsonFlag, outFlag, positiveInt } from "../cli/flags.ts"
import { prepareOutDir, writeFileAtomic } from "../cli/outputs.ts"
import { listenForStop } from "../cli/signals.ts"
import { version } from "../cli/version.ts"
import { DEFAULT_BUDGET } from "./oracle.ts"
import { encodeReport, mutationReport, renderMarkdown, renderSummary } from "./report.ts"
import { BaselineError, describeSubset, generateMutants, runMutants, selectMutants, staleEquivalences } from "./run.ts"
import { OperatorId } from "./report-schema.ts"
import { killRunning } from "./sandbox.ts"

/** Defaults of the command. */
export const MUTATE_DEFAULTS = { workers: 2, out: "iovcheck-mutate" } as const

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
      const subset = { files: flags.file, operators: flags.operator, limit }
      const mutants = selectMutants(all, subset)
      if (mutants.length === 0)
        return yield* Effect.fail(new UsageError({ message: "no mutant matches --file/--operator" }))
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
      writeFileAtomic(join(flags.out, "report.json"), encodeReport(report))
      writeFileAtomic(join(flags.out, "report.md"), renderMarkdown(report))
      yield* Console.log(flags.json ? encodeReport(report).trimEnd() : renderSummary(report))
      if (!flags.json) yield* Console.log(`\nreport in ${flags.out}/report.md and ${flags.out}/report.json`)
      const signal = stop.received()
      yield* exitWith(
        signal !== undefined
          ? signalExitCode(signal)
          : (report.totals.killRate ?? 100) >= flags.minKillRate
            ? ExitCode.ok
            : ExitCode.finding,
      )
    }),
).pipe(
  Command.withDescription(
    `Mutation testing of model/: semantic mutants (dropped guards, skipped invalidations, procedure programs with an operation dropped or two swapped, flipped comparisons), each built and run against the safe and unsafe catalogue and the pairwise sweep. Writes OUT/report.json and OUT/report.md (default OUT: ${MUTATE_DEFAULTS.out}). Exit 0 kill rate at least --min-kill-rate, 1 below it or the unmutated model fails the oracle, 2 bad usage, 130/143 interrupted`,
  ),
)
