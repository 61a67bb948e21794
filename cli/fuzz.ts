/**
 * `iovcheck fuzz [--scenario ID_OR_FILE]... [--time DURATION] [--workers N] [--shard I/N] [--seed N]
 * [--corpus DIR] [--out DIR] [--json]`: a long unattended random search on all cores.
 *
 * - Workers (`node:worker_threads`, default: every core) run rounds with seeds derived from (base
 *   seed, shard, worker, round) (`drivers/fuzz/schedule.ts`), rotating scenarios and trace lengths,
 *   half the traces swarm traces.
 * - `--shard I/N` partitions the seed space among N machines; without it, a Kubernetes Indexed Job's
 *   `JOB_COMPLETION_INDEX` (0-based) with `IOVCHECK_SHARDS` gives the shard.
 * - Findings are deduplicated by (scenario, property, canonical shrunk trace) and written to
 *   `OUT/findings/<scenario>/<property>-<hash>.json` with `.md`/`.html` reports. `--corpus DIR`
 *   replays the corpus first (a regression is reported), then adds new findings there; a finding
 *   already in the corpus is counted, not written again.
 * - A damaged corpus file (a foreign or half-written JSON) is reported and skipped, never fatal.
 * - The output folder (and the corpus folder) are checked and created before any work.
 * - Progress: a live line on a terminal, a plain line every 10 s otherwise. SIGINT/SIGTERM or the end
 *   of the budget stop the workers; every finding is written (atomically) as it arrives; then
 *   `summary.json`, `summary.md` and `junit.xml`. A crashed worker is reported with the seed that
 *   regenerates it.
 * - Memory: each worker's V8 heap is capped (`WORKER_HEAP_MB`), so a long nightly on a small runner
 *   keeps a bounded footprint; the run's peak resident set size is `peakRssMb` in the summary.
 * - Exit 1 when a finding is not explained by its scenario's expectation (a new bug, or a false alarm
 *   in a safe scenario), a corpus file regressed or a worker crashed; 0 otherwise (an expected
 *   violation not found is not a failure: junit.xml marks it skipped); 2 on bad input. An
 *   interrupted run (SIGINT/SIGTERM) is a shorter budget: it writes its summary (`"interrupted":
 *   true`) and exits 0 or 1 by the same rules.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { type CounterexampleFile, decodeCounterexample } from "../counterexamples/counterexample-file.ts"
import { findingKey, findingName } from "../drivers/fuzz/finding-key.ts"
import { parseDuration, parseShard, type Shard } from "../drivers/fuzz/schedule.ts"
import type { WorkerInput, WorkerMessage } from "../drivers/fuzz/worker.ts"
import { replay } from "../drivers/replay.ts"
import type { SummaryScenario } from "../reports/run-summary.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { jsonFlag, outFlag, scenarioFlag } from "./flags.ts"
import { prepareOutDir, writeCounterexample, writeSummary } from "./outputs.ts"
import { ExitCode, exitWith, UsageError } from "./exit-codes.ts"
import { loadScenarios } from "./verify.ts"
import { version } from "./version.ts"

/** A finding of the run. */
export interface FuzzFinding {
  readonly scenario: string
  readonly property: string
  readonly message: string
  readonly key: string
  readonly file: string
  /** False when the corpus already had it. */
  readonly new: boolean
  /** Whether the scenario's expectation lists the property. */
  readonly explained: boolean
  readonly seed: number | undefined
  /** Trace length bound of the round, and whether the finding trace was a swarm trace. */
  readonly maxSteps: number
  readonly swarm: boolean
}

/** The `fuzz --json` / `summary.json` document. */
export interface FuzzSummary {
  readonly iovcheck: string
  readonly seed: number
  readonly shard: Shard
  readonly workers: number
  readonly budgetMs: number
  readonly elapsedMs: number
  readonly interrupted: boolean
  readonly runs: number
  readonly commands: number
  readonly commandsPerSecond: number
  readonly corpus: {
    readonly replayed: number
    readonly regressions: ReadonlyArray<string>
    /** Corpus files that could not be decoded ("path: message"), skipped. */
    readonly damaged: ReadonlyArray<string>
  } | null
  /** Peak resident set size of the process (coordinator and workers), in MiB. */
  readonly peakRssMb: number
  readonly findings: ReadonlyArray<FuzzFinding>
  readonly crashes: ReadonlyArray<{
    readonly worker: number
    readonly message: string
    readonly scenario: string
    readonly seed: number
  }>
  readonly scenarios: ReadonlyArray<SummaryScenario>
}

const explains = (scenario: Scenario, property: string): boolean =>
  scenario.expected !== undefined && scenario.expected !== "safe" && scenario.expected.violates.includes(property)

/** Every counterexample file under a folder (recursively). */
export const counterexampleFiles = (dir: string): ReadonlyArray<string> =>
  existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .flatMap((name) => {
          const path = join(dir, name)
          return statSync(path).isDirectory()
            ? counterexampleFiles(path)
            : name.endsWith(".json") && name !== "summary.json"
              ? [path]
              : []
        })
    : []

/** A replayed corpus: the keys of its findings, how many were replayed, regressions and damaged files. */
interface ReplayedCorpus {
  readonly keys: Set<string>
  readonly replayed: number
  readonly regressions: Array<string>
  readonly damaged: Array<string>
}

/**
 * Replays a corpus: each file must still reproduce, or stay clean when recorded as fixed. A file that
 * cannot be decoded is reported as damaged and skipped.
 */
const replayCorpus = (dir: string): ReplayedCorpus => {
  const keys = new Set<string>()
  const regressions: Array<string> = []
  const damaged: Array<string> = []
  let replayed = 0
  for (const path of counterexampleFiles(dir)) {
    const file = readFinding(path)
    if (typeof file === "string") {
      damaged.push(file)
      continue
    }
    replayed++
    keys.add(findingKey(file))
    const verdict = replay(file).verdict
    const want = file.status === "fixed" ? "clean" : "reproduced"
    if (verdict !== want) regressions.push(`${path}: ${verdict}, recorded ${file.status ?? "open"}`)
  }
  return { keys, replayed, regressions, damaged }
}

/** Cap of each worker's V8 old generation, in MiB (see the module doc). */
export const WORKER_HEAP_MB = 192

/** Default budget, seed and output folder of `fuzz`. */
export const FUZZ_DEFAULTS = { time: "60s", seed: 1, out: "iovcheck-fuzz" } as const

/** The `fuzz` command. */
export const fuzzCommand = Command.make(
  "fuzz",
  {
    scenario: scenarioFlag,
    time: Flag.String("time").pipe(
      Flag.withDescription(`Time budget: 90s, 10m, 1h (default ${FUZZ_DEFAULTS.time})`),
      Flag.withDefault(FUZZ_DEFAULTS.time),
    ),
    workers: Flag.Int("workers").pipe(
      Flag.withDescription("Worker threads (default: every core Node sees, not a container's CPU quota)"),
      Flag.optional,
    ),
    shard: Flag.String("shard").pipe(
      Flag.withDescription("This machine's shard, I/N (default: JOB_COMPLETION_INDEX+1 of IOVCHECK_SHARDS, or 1/1)"),
      Flag.optional,
    ),
    seed: Flag.Int("seed").pipe(
      Flag.withDescription(`Base seed (default ${FUZZ_DEFAULTS.seed})`),
      Flag.withDefault(FUZZ_DEFAULTS.seed),
    ),
    corpus: Flag.String("corpus").pipe(
      Flag.withDescription("Corpus folder: replayed first, new findings added"),
      Flag.optional,
    ),
    out: outFlag(FUZZ_DEFAULTS.out),
    json: jsonFlag("Print the summary as JSON"),
  },
  (flags) =>
    // Uninterruptible: on SIGINT/SIGTERM the command stops its workers and writes its summary
    // itself, before the runtime's interruption lands.
    Effect.uninterruptible(
      Effect.gen(function* () {
        const budgetMs = parseDuration(flags.time)
        if (budgetMs === undefined || budgetMs <= 0)
          return yield* new UsageError({
            message: `--time must be a positive duration like 90s, 10m or 1h, got ${flags.time}`,
          })
        const workers = Option.getOrElse(flags.workers, () => availableParallelism())
        if (!Number.isInteger(workers) || workers < 1)
          return yield* new UsageError({ message: `--workers must be a positive integer, got ${workers}` })
        const envIndex = process.env.JOB_COMPLETION_INDEX
        const shardText = Option.getOrElse(flags.shard, () =>
          envIndex !== undefined ? `${Number(envIndex) + 1}/${process.env.IOVCHECK_SHARDS ?? "1"}` : "1/1",
        )
        const shard = parseShard(shardText)
        if (shard === undefined)
          return yield* new UsageError({ message: `--shard must be I/N with 1 <= I <= N, got ${shardText}` })
        const scenarios = yield* loadScenarios(flags.scenario)
        const corpusDir = Option.getOrUndefined(flags.corpus)
        yield* prepareOutDir(flags.out)
        if (corpusDir !== undefined) yield* prepareOutDir(corpusDir, "--corpus")
        const corpus = corpusDir === undefined ? undefined : replayCorpus(corpusDir)
        for (const d of corpus?.damaged ?? []) yield* Console.error(`iovcheck: damaged corpus file skipped: ${d}`)

        const findings: Array<FuzzFinding> = []
        const seen = new Set<string>(corpus?.keys ?? [])
        const crashes: Array<FuzzSummary["crashes"][number]> = []
        let runs = 0
        let commands = 0
        let interrupted = false
        let peakRss = process.memoryUsage.rss()
        const started = Date.now()
        const deadline = started + budgetMs

        const summary = yield* Effect.promise(
          () =>
            new Promise<FuzzSummary>((resolve) => {
              const pool: Array<Worker> = []
              let live = workers
              const progress = () => {
                const line = `fuzz ${((Date.now() - started) / 1000).toFixed(0)}s/${(budgetMs / 1000).toFixed(0)}s  runs ${runs}  ${Math.round((commands / Math.max(1, Date.now() - started)) * 1000)} commands/s  findings ${findings.length} (${findings.filter((f) => f.new).length} new)`
                if (process.stderr.isTTY) process.stderr.write(`\r${line}`)
                else process.stderr.write(`${line}\n`)
              }
              const ticker = setInterval(progress, process.stderr.isTTY ? 1000 : 10_000)
              const sampler = setInterval(() => {
                peakRss = Math.max(peakRss, process.memoryUsage.rss())
              }, 250)
              // A round in progress cannot be interrupted: at the deadline the workers are asked to
              // stop, and terminated after a grace period (an unfinished round has found nothing yet).
              const grace = setTimeout(() => stop(false), Math.max(0, deadline - Date.now()))
              const stop = (bySignal = true) => {
                interrupted ||= bySignal
                for (const w of pool) w.postMessage("stop")
                setTimeout(() => {
                  for (const w of pool) void w.terminate()
                }, 5000).unref()
              }
              const onSignal = () => stop(true)
              process.once("SIGINT", onSignal)
              process.once("SIGTERM", onSignal)
              const finish = () => {
                clearInterval(ticker)
                clearInterval(sampler)
                clearTimeout(grace)
                process.removeListener("SIGINT", onSignal)
                process.removeListener("SIGTERM", onSignal)
                if (process.stderr.isTTY) process.stderr.write("\n")
                const elapsedMs = Date.now() - started
                resolve({
                  iovcheck: version,
                  seed: flags.seed,
                  shard,
                  workers,
                  budgetMs,
                  elapsedMs,
                  interrupted,
                  runs,
                  commands,
                  commandsPerSecond: Math.round((commands / Math.max(1, elapsedMs)) * 1000),
                  corpus:
                    corpus === undefined
                      ? null
                      : { replayed: corpus.replayed, regressions: corpus.regressions, damaged: corpus.damaged },
                  peakRssMb: Math.round(Math.max(peakRss, process.memoryUsage.rss()) / 2 ** 20),
                  findings,
                  crashes,
                  scenarios: scenarios.map((s) => {
                    const violations = findings
                      .filter((f) => f.scenario === s.id)
                      .map((f) => ({ property: f.property, message: f.message, file: f.file }))
                    return {
                      id: s.id,
                      expected: s.expected ?? null,
                      asExpected: matchesExpectation(
                        s.expected,
                        violations.map((v) => v.property),
                      ),
                      violations,
                    }
                  }),
                })
              }
              const onMessage = (worker: number) => (m: WorkerMessage) => {
                if (m._tag === "Progress") {
                  runs += m.runs
                  commands += m.commands
                } else if (m._tag === "Finding") {
                  const key = findingKey(m.file)
                  const scenario = scenarios.find((s) => s.id === m.file.scenario.id)
                  if (findings.some((f) => f.key === key)) return
                  const isNew = !seen.has(key)
                  seen.add(key)
                  const file = writeCounterexample(join(flags.out, "findings"), m.file, findingName(m.file))
                  if (isNew && corpusDir !== undefined) writeCounterexample(corpusDir, m.file, findingName(m.file))
                  findings.push({
                    scenario: m.file.scenario.id,
                    property: m.file.property,
                    message: m.file.message,
                    key,
                    file,
                    new: isNew,
                    explained: scenario !== undefined && explains(scenario, m.file.property),
                    seed: m.file.seed,
                    maxSteps: m.maxSteps,
                    swarm: m.swarm,
                  })
                } else if (m._tag === "Crash")
                  crashes.push({ worker, message: m.message, scenario: m.scenario, seed: m.seed })
              }
              for (let worker = 0; worker < workers; worker++) {
                const input: WorkerInput = {
                  scenarios,
                  base: flags.seed,
                  shard,
                  workers,
                  worker,
                  deadline,
                  runsPerRound: 200,
                  version,
                }
                const w = new Worker(new URL("../drivers/fuzz/worker.js", import.meta.url), {
                  workerData: input,
                  resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
                })
                w.on("message", onMessage(worker))
                w.on("error", (e) => crashes.push({ worker, message: e.message, scenario: "-", seed: -1 }))
                w.on("exit", () => {
                  live--
                  if (live === 0) finish()
                })
                pool.push(w)
              }
            }),
        )
        writeSummary(flags.out, "iovcheck fuzz", JSON.stringify(summary, null, 2), summary.scenarios, {
          missedExpected: "skipped",
          elapsedMs: summary.elapsedMs,
        })
        if (flags.json) yield* Console.log(JSON.stringify(summary, null, 2))
        else {
          yield* Console.log(
            `fuzz: ${summary.runs} runs, ${summary.commands} commands (${summary.commandsPerSecond}/s) on ${workers} workers, shard ${shard.index}/${shard.count}, ${summary.findings.length} findings (${summary.findings.filter((f) => f.new).length} new, ${summary.findings.filter((f) => !f.explained).length} unexplained), peak RSS ${summary.peakRssMb} MiB${summary.interrupted ? ", interrupted" : ""}`,
          )
          for (const f of summary.findings)
            yield* Console.log(
              `  ${f.explained ? "expected  " : "UNEXPECTED"} ${f.scenario} ${f.property} ${f.new ? "new" : "known"} (length bound ${f.maxSteps}${f.swarm ? ", swarm" : ""}) ${f.file}`,
            )
          const swarm = summary.findings.filter((f) => f.swarm).length
          yield* Console.log(
            `  found by swarm traces: ${swarm} of ${summary.findings.length}; by length bound: ${[25, 50, 100, 200].map((n) => `${n}: ${summary.findings.filter((f) => f.maxSteps === n).length}`).join(", ")}`,
          )
          for (const r of corpus?.regressions ?? []) yield* Console.log(`  REGRESSION ${r}`)
          for (const d of corpus?.damaged ?? []) yield* Console.log(`  DAMAGED corpus file skipped: ${d}`)
          for (const c of summary.crashes)
            yield* Console.log(`  CRASH worker ${c.worker}: ${c.message} (${c.scenario}, seed ${c.seed})`)
          yield* Console.log(`summary in ${join(flags.out, "summary.md")}`)
        }
        const bad =
          summary.findings.some((f) => !f.explained) ||
          (corpus?.regressions.length ?? 0) > 0 ||
          summary.crashes.length > 0
        yield* exitWith(bad ? ExitCode.finding : ExitCode.ok)
      }),
    ),
).pipe(
  Command.withShortDescription("Time-budgeted random search on every core, sharded, with a corpus"),
  Command.withDescription(
    `Time-budgeted random search on every core, sharded, with a corpus; writes OUT/findings/ and OUT/summary.json (default OUT: ${FUZZ_DEFAULTS.out}). Exit 0 no unexpected finding, 1 an unexpected finding, a corpus regression or a worker crash, 2 bad usage or input; interrupted (SIGINT/SIGTERM): the summary is written and the exit code follows the same rules`,
  ),
)

/** Reads a counterexample file found in a folder (the corpus, `merge`); a string names what is wrong. */
export const readFinding = (path: string): CounterexampleFile | string => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    return `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`
  }
  const decoded = decodeCounterexample(text)
  return decoded._tag === "Ok" ? decoded.file : `${path}: ${decoded.message}`
}
