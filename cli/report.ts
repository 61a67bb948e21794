/**
 * `iovcheck report FILE... [--format md|html|junit] [--out DIR]`: renders existing counterexample
 * files. `md` and `html` write one report per file (`OUT/<scenario>/<property>.md|html`); `junit`
 * writes one `OUT/junit.xml` for all the files given (a test case per scenario × property, failed
 * for a violation the scenario does not expect). Exit 0, or 2 when a file cannot be used.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { basename, join } from "node:path"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { replay } from "../drivers/replay.ts"
import { counterexampleHtml, counterexampleMarkdown } from "../reports/counterexample-report.ts"
import { type SummaryScenario, summaryJunit } from "../reports/run-summary.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { outFlag } from "./flags.ts"
import { readCounterexample } from "./replay.ts"
import { ExitCode, exitWith } from "./usage-error.ts"

/** The `report` command. */
export const reportCommand = Command.make(
  "report",
  {
    files: Argument.String("file").pipe(Argument.withDescription("Counterexample files"), Argument.atLeast(1)),
    format: Flag.Literals("format", ["md", "html", "junit"]).pipe(
      Flag.withDescription("Output format"),
      Flag.withDefault("html" as const),
    ),
    out: outFlag("iovcheck-out"),
  },
  ({ files, format, out }) =>
    Effect.gen(function* () {
      const decoded = []
      for (const f of files) decoded.push({ path: f, file: yield* readCounterexample(f) })
      if (format === "junit") {
        const byScenario = new Map<string, SummaryScenario>()
        for (const { path, file } of decoded) {
          const s = byScenario.get(file.scenario.id)
          const violations = [...(s?.violations ?? []), { property: file.property, message: file.message, file: path }]
          byScenario.set(file.scenario.id, {
            id: file.scenario.id,
            expected: file.scenario.expected ?? null,
            asExpected: matchesExpectation(
              file.scenario.expected,
              violations.map((v) => v.property),
            ),
            violations,
          })
        }
        mkdirSync(out, { recursive: true })
        writeFileSync(join(out, "junit.xml"), summaryJunit("iovcheck report", [...byScenario.values()]))
        yield* Console.log(join(out, "junit.xml"))
      } else
        for (const { path, file } of decoded) {
          const dir = join(out, file.scenario.id)
          mkdirSync(dir, { recursive: true })
          const target = join(dir, `${basename(path, ".json")}.${format}`)
          const result = replay(file)
          writeFileSync(
            target,
            format === "md" ? counterexampleMarkdown(file, result) : counterexampleHtml(file, result),
          )
          yield* Console.log(target)
        }
      yield* exitWith(ExitCode.ok)
    }),
).pipe(Command.withDescription("Render counterexample files as Markdown, self-contained HTML or JUnit XML"))
