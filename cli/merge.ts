/**
 * `iovcheck merge DIR... [--out DIR]`: merges the outputs of `fuzz` shards (a CI matrix, a
 * Kubernetes Indexed Job) into one summary and one deduplicated set of findings.
 *
 * - Each DIR must be a fuzz output: a `summary.json` written by `fuzz` (else exit 2, naming the
 *   folder), and all of them shards of one run: the same shard count, no shard twice.
 * - Every counterexample file under each `DIR/findings/` is deduplicated by (scenario, property,
 *   canonical shrunk trace) and written to `OUT/findings/` (default OUT: `iovcheck-merged`).
 * - `summary.json`: the shards' totals, the merged findings, every shard's regressions and crashes,
 *   and one entry per scenario any shard ran; `summary.md` and `junit.xml` have every scenario ×
 *   property of every shard, with the same semantics as `fuzz` (an expected violation no shard
 *   found is skipped; an unexpected one fails).
 * - Exit 1 when a merged finding is not explained by its scenario's expectation, or a shard had a
 *   corpus regression or a crashed worker; 0 otherwise; 2 on bad input.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Console, Effect, Schema } from "effect"
import { Argument, Command } from "effect/cli"
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { findingKey, findingName } from "../drivers/fuzz/finding-key.ts"
import { jsonDecoder } from "../reports/decode-json.ts"
import { type SummaryScenario, passes } from "../reports/run-summary.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { Expectation } from "../scenarios/scenario.ts"
import { ExitCode, exitWith, UsageError } from "./exit-codes.ts"
import { outFlag } from "./flags.ts"
import { counterexampleFiles, readFinding } from "./fuzz.ts"
import { prepareOutDir, writeCounterexample, writeSummary } from "./outputs.ts"
import { version } from "./version.ts"

/** Default output folder of `merge`. */
export const MERGE_DEFAULTS = { out: "iovcheck-merged" } as const

/** What `merge` reads of a shard's `summary.json` (the `fuzz` document; other fields are ignored). */
const ShardSummary = Schema.Struct({
  iovcheck: Schema.String,
  shard: Schema.Struct({ index: Schema.Int, count: Schema.Int }),
  runs: Schema.Number,
  commands: Schema.Number,
  elapsedMs: Schema.Number,
  peakRssMb: Schema.optionalKey(Schema.Number),
  corpus: Schema.NullOr(Schema.Struct({ regressions: Schema.Array(Schema.String) })),
  crashes: Schema.Array(Schema.Struct({ worker: Schema.Number, message: Schema.String })),
  scenarios: Schema.Array(Schema.Struct({ id: Schema.String, expected: Schema.NullOr(Expectation) })),
})
type ShardSummary = typeof ShardSummary.Type

const decodeShardSummary = jsonDecoder(ShardSummary, { excessProperties: "ignore" })

/** Reads and checks one shard's folder: its summary and its findings. */
const readShard = (
  dir: string,
): Effect.Effect<{ summary: ShardSummary; findings: ReadonlyArray<CounterexampleFile> }, UsageError> =>
  Effect.gen(function* () {
    if (!existsSync(dir)) return yield* new UsageError({ message: `${dir}: no such folder` })
    const summaryPath = join(dir, "summary.json")
    const text = existsSync(summaryPath) ? readFileSync(summaryPath, "utf8") : undefined
    if (text === undefined)
      return yield* new UsageError({
        message: `${dir}: not a fuzz output (no summary.json: run merge on fuzz --out folders)`,
      })
    const decoded = decodeShardSummary(text)
    if (decoded._tag === "Error")
      return yield* new UsageError({ message: `${summaryPath}: not a fuzz summary (${decoded.message})` })
    const findings: Array<CounterexampleFile> = []
    for (const path of counterexampleFiles(join(dir, "findings"))) {
      const file = readFinding(path)
      if (typeof file === "string") return yield* new UsageError({ message: file })
      findings.push(file)
    }
    return { summary: decoded.value, findings }
  })

/** The `merge` command. */
export const mergeCommand = Command.make(
  "merge",
  {
    dirs: Argument.String("dir").pipe(
      Argument.withDescription("Output folders of the fuzz shards of one run"),
      Argument.atLeast(1),
    ),
    out: outFlag(MERGE_DEFAULTS.out),
  },
  ({ dirs, out }) =>
    Effect.gen(function* () {
      const shards: Array<{ dir: string; summary: ShardSummary; findings: ReadonlyArray<CounterexampleFile> }> = []
      for (const dir of dirs) shards.push({ dir, ...(yield* readShard(dir)) })
      const first = shards[0]
      for (const s of shards) {
        if (first !== undefined && s.summary.shard.count !== first.summary.shard.count)
          return yield* new UsageError({
            message: `shards of different runs: ${first.dir} is shard ${first.summary.shard.index}/${first.summary.shard.count}, ${s.dir} is ${s.summary.shard.index}/${s.summary.shard.count}`,
          })
        const twin = shards.find((t) => t !== s && t.summary.shard.index === s.summary.shard.index)
        if (twin !== undefined)
          return yield* new UsageError({
            message: `shard ${s.summary.shard.index}/${s.summary.shard.count} given twice: ${twin.dir} and ${s.dir}`,
          })
      }
      yield* prepareOutDir(out)

      const unique = new Map<string, CounterexampleFile>()
      let duplicates = 0
      for (const s of shards)
        for (const file of s.findings) {
          const key = findingKey(file)
          if (unique.has(key)) duplicates++
          else unique.set(key, file)
        }
      const findings = [...unique.values()].map((file) => ({
        scenario: file.scenario.id,
        property: file.property,
        message: file.message,
        file: writeCounterexample(join(out, "findings"), file, findingName(file)),
        explained:
          file.scenario.expected !== undefined &&
          file.scenario.expected !== "safe" &&
          file.scenario.expected.violates.includes(file.property),
      }))

      // Every scenario any shard ran (and any a finding names), with its expectation.
      const expectations = new Map<string, Expectation | null>()
      for (const s of shards) for (const sc of s.summary.scenarios) expectations.set(sc.id, sc.expected)
      for (const file of unique.values())
        if (!expectations.has(file.scenario.id)) expectations.set(file.scenario.id, file.scenario.expected ?? null)
      const scenarios: Array<SummaryScenario> = [...expectations.keys()].sort().map((id) => {
        const expected = expectations.get(id) ?? null
        const violations = findings
          .filter((f) => f.scenario === id)
          .map((f) => ({ property: f.property, message: f.message, file: f.file }))
        return {
          id,
          expected,
          asExpected: matchesExpectation(
            expected ?? undefined,
            violations.map((v) => v.property),
          ),
          violations,
        }
      })
      const regressions = shards.flatMap((s) => (s.summary.corpus?.regressions ?? []).map((r) => `${s.dir}: ${r}`))
      const crashes = shards.flatMap((s) => s.summary.crashes.map((c) => `${s.dir}: worker ${c.worker}: ${c.message}`))
      const elapsedMs = shards.reduce((n, s) => n + s.summary.elapsedMs, 0)
      const document = {
        iovcheck: version,
        merged: dirs,
        shards: shards.map((s) => ({
          dir: s.dir,
          shard: s.summary.shard,
          runs: s.summary.runs,
          commands: s.summary.commands,
          elapsedMs: s.summary.elapsedMs,
        })),
        runs: shards.reduce((n, s) => n + s.summary.runs, 0),
        commands: shards.reduce((n, s) => n + s.summary.commands, 0),
        elapsedMs,
        peakRssMb: Math.max(0, ...shards.map((s) => s.summary.peakRssMb ?? 0)),
        duplicates,
        findings,
        regressions,
        crashes,
        scenarios,
      }
      writeSummary(out, "iovcheck merge", JSON.stringify(document, null, 2), scenarios, {
        missedExpected: "skipped",
        elapsedMs,
      })
      const unexplained = findings.filter((f) => !f.explained).length
      yield* Console.log(
        `merged ${dirs.length} outputs: ${document.runs} runs, ${findings.length} distinct findings (${duplicates} duplicates dropped), ${unexplained} unexplained, ${regressions.length} regressions, ${crashes.length} crashes; ${scenarios.length} scenarios; summary in ${join(out, "summary.md")}`,
      )
      for (const r of regressions) yield* Console.log(`  REGRESSION ${r}`)
      for (const c of crashes) yield* Console.log(`  CRASH ${c}`)
      const bad =
        unexplained > 0 || regressions.length > 0 || crashes.length > 0 || !scenarios.every((s) => passes(s, "skipped"))
      yield* exitWith(bad ? ExitCode.finding : ExitCode.ok)
    }),
).pipe(
  Command.withShortDescription("Merge the fuzz outputs of several shards into one deduplicated set of findings"),
  Command.withDescription(
    `Merge the fuzz outputs of the shards of one run into one deduplicated set of findings and one summary (default OUT: ${MERGE_DEFAULTS.out}). Exit 0 nothing unexpected, 1 an unexpected finding, a regression or a crash in any shard, 2 bad input (a folder that is not a fuzz output, shards of different counts)`,
  ),
)
