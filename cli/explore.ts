/**
 * `iovcheck explore [--scenario ID_OR_FILE]... [--depth K] [--max-states N] [--workers N] [--symmetry] [--out DIR] [--json]`
 *
 * Breadth-first search of each scenario (default: the whole catalogue) over every enabled command,
 * deduplicating states by 64-bit fingerprint and checking every property on every transition, to
 * depth K or until N distinct states (`explore-scenario.ts`). A violation is reported with its
 * shortest counterexample, written as an ordinary counterexample file (`OUT/<scenario>/<property>.json`,
 * driver "explore") that `iovcheck replay` accepts. No violation is reported as "no violation up to
 * depth K (N distinct states)", never as "safe". The run's `summary.json` (the `--json` document),
 * `summary.md` and `junit.xml` go to OUT too (default `iovcheck-explore`).
 *
 * With `--workers N` (default: every core) each scenario is explored by N search threads over one
 * shared fingerprint table (`drivers/exhaustive/parallel-bfs.ts`): the same distinct states per
 * depth, verdicts and shortest lengths as one thread. With `--symmetry`, states that differ by a
 * permutation of interchangeable VFs count as one (`drivers/exhaustive/symmetry.ts`): the same
 * verdicts, completed depths and shortest lengths in fewer distinct states. Progress goes to stderr: on a terminal a live
 * line (scenario, depth, distinct states, states/s), elsewhere a line every 10 s.
 *
 * The search runs in a worker thread (`explore-worker.ts`), so SIGINT/SIGTERM reach the main
 * thread at once: the search stops at its next check (within a fraction of a second), the report
 * says what it completed ("no violation up to depth K−1", the counterexamples found so far, all
 * written), and the command exits 130 (SIGINT) or 143 (SIGTERM). Otherwise exit codes as `verify`:
 * 0 when every result matches its scenario's expectation, 1 otherwise, 2 on bad usage or input.
 *
 * `--json` document (a public interface: fields are added, never renamed): `ExploreDocument` of
 * `reports/explore-report.ts`, printed encoded by its Schema.
 *
 * @module
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import { availableParallelism } from "node:os"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { EXPLORE_DEFAULTS } from "../api/explore.ts"
import {
  type ExploreDocument,
  type ExploreReport,
  exploreDocumentJson,
  renderExploreTable,
} from "../reports/explore-report.ts"
import { ExitCode, exitWith, signalExitCode } from "./exit-codes.ts"
import type { ExploreProgress } from "../drivers/exhaustive/bfs.ts"
import { explorerHeapMb } from "../drivers/exhaustive/parallel-bfs.ts"
import { type ExploreWorkerInput, type ExploreWorkerMessage, runExploration } from "./explore-worker.ts"
import { jsonFlag, outFlag, positiveInt, scenarioFlag } from "./flags.ts"
import { prepareOutDir, writeSummary } from "./outputs.ts"
import { listenForStop } from "./signals.ts"
import { loadScenarios } from "./verify.ts"
import { version } from "./version.ts"

/**
 * Runs the exploration in a worker thread, calling `onMessage` as reports arrive; resolves when the
 * worker ends. From the TypeScript sources (tests run in-process), where no compiled worker
 * exists, it runs on the calling thread instead (no signal can interrupt it there).
 */
const runInWorker = (input: ExploreWorkerInput, onMessage: (m: ExploreWorkerMessage) => void): Promise<void> => {
  const url = new URL("./explore-worker.js", import.meta.url)
  if (!existsSync(fileURLToPath(url))) return runExploration(input, onMessage)
  return new Promise((resolve) => {
    // With one search thread this thread holds the frontier (with more, the search threads do, and
    // this one little): a limit, not a reservation.
    const worker = new Worker(url, {
      workerData: { exploreWorker: true, input },
      resourceLimits: { maxOldGenerationSizeMb: explorerHeapMb(1) },
    })
    worker.on("message", onMessage)
    worker.on("error", (e) => onMessage({ _tag: "Crash", message: e.message }))
    worker.on("exit", () => resolve())
  })
}

const thousands = (n: number): string => n.toLocaleString("en-US")

/**
 * The progress of the exploration in progress on stderr: on a terminal one line rewritten in place
 * (`show` is called about twice a second), elsewhere (CI logs) a plain line each time (every 10 s).
 */
const progressLine = (tty: boolean) => {
  let shown = false
  return {
    show: (id: string, p: ExploreProgress) => {
      const rate = Math.round(p.distinctStates / Math.max(p.elapsedMs / 1000, 1e-3))
      const line = `explore ${id}: depth ${p.depth}, ${thousands(p.distinctStates)} distinct states, ${thousands(rate)} states/s, ${(p.elapsedMs / 1000).toFixed(0)}s`
      if (tty) {
        process.stderr.write(`\r\x1b[K${line}`)
        shown = true
      } else process.stderr.write(`${line}\n`)
    },
    clear: () => {
      if (shown) process.stderr.write("\r\x1b[K")
      shown = false
    },
  }
}

/** The `explore` command. */
export const exploreCommand = Command.make(
  "explore",
  {
    scenario: scenarioFlag,
    depth: Flag.Int("depth").pipe(
      Flag.withDescription(`Longest trace explored, in commands (default ${EXPLORE_DEFAULTS.depth})`),
      Flag.withDefault(EXPLORE_DEFAULTS.depth),
    ),
    maxStates: Flag.Int("max-states").pipe(
      Flag.withDescription(`Budget of distinct states per scenario (default ${EXPLORE_DEFAULTS.maxStates})`),
      Flag.withDefault(EXPLORE_DEFAULTS.maxStates),
    ),
    out: outFlag(EXPLORE_DEFAULTS.out),
    workers: Flag.Int("workers").pipe(
      Flag.withDescription(
        "Search threads per scenario (default: every core Node sees); the same states, verdicts and shortest lengths on any number",
      ),
      Flag.optional,
    ),
    symmetry: Flag.Boolean("symmetry").pipe(
      Flag.withDescription(
        "Count states that differ by a permutation of interchangeable VFs (same PF, device and topology entry) as one: the same verdicts and shortest lengths in fewer states",
      ),
      Flag.withDefault(false),
    ),
    json: jsonFlag("Print the JSON document"),
  },
  (flags) =>
    // Uninterruptible: on SIGINT/SIGTERM the command stops the search itself, writes what it
    // completed and sets the signal's exit code.
    Effect.uninterruptible(
      Effect.gen(function* () {
        const depth = yield* positiveInt("depth", flags.depth)
        const maxStates = yield* positiveInt("max-states", flags.maxStates)
        const workers = yield* positiveInt(
          "workers",
          Option.getOrElse(flags.workers, () => availableParallelism()),
        )
        const scenarios = yield* loadScenarios(flags.scenario)
        yield* prepareOutDir(flags.out)
        const console = yield* Console.Console
        const stopFlag = new SharedArrayBuffer(4)
        const stop = listenForStop(() => Atomics.store(new Int32Array(stopFlag), 0, 1))
        const started = performance.now()
        const reports: Array<ExploreReport> = []
        const crashes: Array<string> = []
        if (!flags.json)
          yield* Console.error(
            `exploring ${scenarios.length} scenario(s) to depth ${depth} (SIGINT/SIGTERM stop it and report the depth completed)`,
          )
        const tty = process.stderr.isTTY === true
        const progress = progressLine(tty)
        yield* Effect.promise(() =>
          runInWorker(
            {
              scenarios,
              depth,
              maxStates,
              out: flags.out,
              stop: stopFlag,
              workers,
              progressMs: tty ? 500 : 10_000,
              reductions: flags.symmetry ? ["symmetry"] : [],
            },
            (m) => {
              if (m._tag === "Crash") crashes.push(m.message)
              else if (m._tag === "Progress") progress.show(m.id, m.progress)
              else {
                progress.clear()
                reports.push(m.report)
                if (!flags.json) console.error(`${m.report.id}: ${m.report.statement}`)
              }
            },
          ),
        )
        progress.clear()
        stop.dispose()
        const signal = stop.received()
        const document: ExploreDocument = { iovcheck: version, interrupted: signal !== undefined, scenarios: reports }
        writeSummary(flags.out, "iovcheck explore", exploreDocumentJson(document), reports, {
          missedExpected: "failure",
          elapsedMs: performance.now() - started,
        })
        if (flags.json) yield* Console.log(exploreDocumentJson(document))
        else if (reports.length > 0) yield* Console.log(renderExploreTable(document))
        for (const c of crashes) yield* Console.error(`iovcheck: internal error in the explorer: ${c}`)
        if (signal !== undefined)
          yield* Console.error(
            `iovcheck: interrupted by ${signal}: ${reports.length} of ${scenarios.length} scenarios reported (the last one up to its completed depth); summary in ${flags.out}/summary.json`,
          )
        yield* exitWith(
          signal !== undefined
            ? signalExitCode(signal)
            : crashes.length > 0
              ? ExitCode.internal
              : reports.every((r) => r.asExpected)
                ? ExitCode.ok
                : ExitCode.finding,
        )
      }),
    ),
).pipe(
  Command.withShortDescription(
    "Breadth-first search to a depth bound: shortest counterexamples, or none up to depth K",
  ),
  Command.withDescription(
    `Breadth-first search to a depth bound: shortest counterexamples, or none up to depth K; writes OUT/<scenario>/<property>.json and OUT/summary.json (default OUT: ${EXPLORE_DEFAULTS.out}). Exit 0 every result as expected, 1 otherwise, 2 bad usage or input, 130/143 interrupted (what was completed is reported and written)`,
  ),
)
