/**
 * `iovcheck report FILE... [--format md|html|junit] [--out DIR]`: renders existing counterexample
 * files (default OUT: `iovcheck-report`). `md` and `html` write one report per file
 * (`OUT/<scenario>/<name>.md|html`); `junit` writes one `OUT/junit.xml` for all the files given,
 * each file a failed test case with its message, the violated step and the trace (`reports/junit.ts`),
 * its `time` the replay's. Exit 0, or 2 when a file cannot be used or OUT cannot be written.
 *
 * @module
 */
import { basename, join } from "node:path"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { replay } from "../drivers/replay.ts"
import { formatCommand } from "../model/command.ts"
import { counterexampleHtml } from "../reports/counterexample-html.ts"
import { counterexampleMarkdown } from "../reports/counterexample-report.ts"
import { type CounterexampleCase, counterexamplesJunit } from "../reports/junit.ts"
import { expectedProperties } from "../reports/run-summary.ts"
import { ExitCode, exitWith } from "./exit-codes.ts"
import { outFlag } from "./flags.ts"
import { prepareOutDir, writeFileAtomic } from "./outputs.ts"
import { readCounterexample } from "./replay.ts"

/** Default format and output folder of `report`. */
export const REPORT_DEFAULTS = { format: "html", out: "iovcheck-report" } as const

/** The `report` command. */
export const reportCommand = Command.make(
  "report",
  {
    files: Argument.String("file").pipe(Argument.withDescription("Counterexample files"), Argument.atLeast(1)),
    format: Flag.Literals("format", ["md", "html", "junit"]).pipe(
      Flag.withDescription(`Output format (default ${REPORT_DEFAULTS.format})`),
      Flag.withDefault(REPORT_DEFAULTS.format),
    ),
    out: outFlag(REPORT_DEFAULTS.out),
  },
  ({ files, format, out }) =>
    Effect.gen(function* () {
      const decoded = []
      for (const f of files) decoded.push({ path: f, file: yield* readCounterexample(f) })
      yield* prepareOutDir(out)
      if (format === "junit") {
        const cases: Array<CounterexampleCase> = decoded.map(({ path, file }) => {
          const started = performance.now()
          replay(file)
          return {
            scenario: file.scenario.id,
            property: file.property,
            message: file.message,
            file: path,
            stepIndex: file.stepIndex,
            trace: file.commands.map(formatCommand),
            expected: expectedProperties(file.scenario.expected).includes(file.property),
            replayMs: performance.now() - started,
          }
        })
        const target = join(out, "junit.xml")
        writeFileAtomic(target, counterexamplesJunit("iovcheck report", cases))
        yield* Console.log(target)
      } else
        for (const { path, file } of decoded) {
          const dir = join(out, file.scenario.id)
          yield* prepareOutDir(dir)
          const target = join(dir, `${basename(path, ".json")}.${format}`)
          const result = replay(file)
          writeFileAtomic(
            target,
            format === "md" ? counterexampleMarkdown(file, result) : counterexampleHtml(file, result, { path }),
          )
          yield* Console.log(target)
        }
      yield* exitWith(ExitCode.ok)
    }),
).pipe(
  Command.withShortDescription("Render counterexample files as Markdown, self-contained HTML or JUnit XML"),
  Command.withDescription(
    `Render counterexample files as Markdown, self-contained HTML or JUnit XML (each file a failed test case with its trace) into OUT (default ${REPORT_DEFAULTS.out}). Exit 0, or 2 when a file cannot be used or OUT cannot be written`,
  ),
)
