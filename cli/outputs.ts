/**
 * What the commands write: the output folder, checked and created before any work; counterexample
 * files with their Markdown and HTML reports; a run's `summary.json`, `summary.md` and `junit.xml`.
 * Every file is written atomically (a temporary file beside it, then a rename), so a crash or a
 * SIGKILL never leaves a half-written JSON for the next `fuzz --corpus` or `merge` to trip on; the
 * temporary names end in `.tmp`, which no reader of `.json` files picks up.
 *
 * @module
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { Effect } from "effect"
import { type CounterexampleFile, encodeCounterexample } from "../counterexamples/counterexample-file.ts"
import { replay } from "../drivers/replay.ts"
import { counterexampleHtml } from "../reports/counterexample-html.ts"
import { counterexampleMarkdown } from "../reports/counterexample-report.ts"
import { summaryJunit } from "../reports/junit.ts"
import { type JunitOptions, type SummaryScenario, summaryMarkdown } from "../reports/run-summary.ts"
import { UsageError } from "./exit-codes.ts"

let tmpCounter = 0

/** Writes `data` to `path` atomically: a temporary file in the same folder, then a rename over `path`. */
export const writeFileAtomic = (path: string, data: string): void => {
  const tmp = `${path}.${process.pid}-${tmpCounter++}.tmp`
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

const errnoCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e)

const isFolder = (path: string): boolean | undefined => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return undefined
  }
}

/**
 * Creates a folder and its missing parents one level at a time (Node's recursive `mkdir` loops
 * forever under `/proc`), or fails naming the level that cannot be created.
 */
const makeFolder = (folder: string): void => {
  const missing: Array<string> = []
  let dir = folder
  for (;;) {
    const kind = isFolder(dir)
    if (kind === true) break
    if (kind === false) throw new Error(`${dir} is a file, not a folder`)
    missing.unshift(dir)
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  for (const level of missing)
    try {
      mkdirSync(level)
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") throw new Error(`cannot create ${level} (${errnoCode(e)})`)
    }
}

/**
 * Checks that `out` is a folder this process can write, creating it (and its parents) when absent;
 * run before any work, so an unusable `--out` costs no search. A `UsageError` naming the flag and
 * the reason otherwise.
 */
export const prepareOutDir = (out: string, flag = "--out"): Effect.Effect<string, UsageError> =>
  Effect.try({
    try: () => {
      const folder = resolve(out)
      makeFolder(folder)
      const probe = join(folder, `.iovcheck-write-test-${process.pid}.tmp`)
      try {
        writeFileSync(probe, "")
      } catch (e) {
        throw new Error(`cannot write in ${folder} (${errnoCode(e)})`)
      } finally {
        rmSync(probe, { force: true })
      }
      return out
    },
    catch: (e) =>
      new UsageError({
        message: `${flag} ${out}: unusable output folder: ${e instanceof Error ? e.message : String(e)}`,
      }),
  })

/** Writes a counterexample file and its two reports, each atomically; returns the JSON file's path. */
export const writeCounterexample = (out: string, file: CounterexampleFile, name = file.property): string => {
  const dir = join(out, file.scenario.id)
  makeFolder(dir)
  const path = join(dir, `${name}.json`)
  writeFileAtomic(path, encodeCounterexample(file))
  const result = replay(file)
  writeFileAtomic(join(dir, `${name}.md`), counterexampleMarkdown(file, result))
  writeFileAtomic(join(dir, `${name}.html`), counterexampleHtml(file, result, { path }))
  return path
}

/**
 * Writes `summary.json` (the command's JSON document, as the text `--json` prints), `summary.md` and
 * `junit.xml`, each atomically.
 */
export const writeSummary = (
  out: string,
  title: string,
  documentJson: string,
  scenarios: ReadonlyArray<SummaryScenario>,
  junit: JunitOptions,
): void => {
  makeFolder(out)
  writeFileAtomic(join(out, "summary.json"), `${documentJson}\n`)
  writeFileAtomic(join(out, "summary.md"), summaryMarkdown(title, scenarios, junit))
  writeFileAtomic(join(out, "junit.xml"), summaryJunit(title, scenarios, junit))
}
