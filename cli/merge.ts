/**
 * `iovcheck merge DIR... --out DIR`: merges the outputs of `fuzz` shards (a CI matrix, a Kubernetes
 * Indexed Job) into one summary and one deduplicated set of findings: every counterexample file
 * under each DIR, deduplicated by (scenario, property, canonical shrunk trace), written to
 * `OUT/findings/`, with `summary.json` (totals of the shards' summaries and the merged findings),
 * `summary.md` and `junit.xml`. Exit 1 when a merged finding is not explained by its scenario's
 * expectation, 0 otherwise, 2 on bad input.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Console, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { findingKey, findingName } from "../drivers/fuzz/finding-key.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { outFlag } from "./flags.ts"
import { counterexampleFiles, type FuzzSummary, readFinding } from "./fuzz.ts"
import { writeCounterexample, writeSummary } from "./outputs.ts"
import { ExitCode, exitWith, UsageError } from "./usage-error.ts"
import { version } from "./version.ts"

/** The `merge` command. */
export const mergeCommand = Command.make(
  "merge",
  {
    dirs: Argument.String("dir").pipe(Argument.withDescription("Output folders of fuzz runs"), Argument.atLeast(1)),
    out: outFlag("iovcheck-merged"),
  },
  ({ dirs, out }) =>
    Effect.gen(function* () {
      const unique = new Map<string, CounterexampleFile>()
      const shards: Array<Pick<FuzzSummary, "runs" | "commands" | "shard" | "elapsedMs">> = []
      let duplicates = 0
      for (const dir of dirs) {
        if (!existsSync(dir)) return yield* new UsageError({ message: `${dir}: no such folder` })
        const summaryPath = join(dir, "summary.json")
        if (existsSync(summaryPath)) {
          const s = JSON.parse(readFileSync(summaryPath, "utf8")) as Partial<FuzzSummary>
          if (typeof s.runs === "number" && typeof s.commands === "number" && s.shard !== undefined)
            shards.push({ runs: s.runs, commands: s.commands, shard: s.shard, elapsedMs: s.elapsedMs ?? 0 })
        }
        for (const path of counterexampleFiles(join(dir, "findings"))) {
          const file = readFinding(path)
          if (typeof file === "string") return yield* new UsageError({ message: file })
          const key = findingKey(file)
          if (unique.has(key)) duplicates++
          else unique.set(key, file)
        }
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
        scenarioData: file.scenario,
      }))
      const scenarioIds = [...new Set(findings.map((f) => f.scenario))].sort()
      const scenarios = scenarioIds.map((id) => {
        const fs = findings.filter((f) => f.scenario === id)
        const expected = fs[0]?.scenarioData.expected
        return {
          id,
          expected: expected ?? null,
          asExpected: matchesExpectation(
            expected,
            fs.map((f) => f.property),
          ),
          violations: fs.map((f) => ({ property: f.property, message: f.message, file: f.file })),
        }
      })
      const document = {
        iovcheck: version,
        merged: dirs,
        shards,
        runs: shards.reduce((n, s) => n + s.runs, 0),
        commands: shards.reduce((n, s) => n + s.commands, 0),
        duplicates,
        findings: findings.map(({ scenarioData: _, ...f }) => f),
        scenarios,
      }
      writeSummary(out, "iovcheck merge", document, scenarios)
      yield* Console.log(
        `merged ${dirs.length} outputs: ${document.runs} runs, ${findings.length} distinct findings (${duplicates} duplicates dropped), ${findings.filter((f) => !f.explained).length} unexplained; summary in ${join(out, "summary.md")}`,
      )
      yield* exitWith(findings.every((f) => f.explained) ? ExitCode.ok : ExitCode.finding)
    }),
).pipe(Command.withDescription("Merge fuzz outputs of several shards into one deduplicated set of findings"))
