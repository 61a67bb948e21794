/**
 * What `verify`, `explore`, `fuzz` and `merge` write into `--out` (never into the source tree):
 * per counterexample `<scenario>/<property>.json` with its `.md` and self-contained `.html`
 * report; per run `summary.json`, `summary.md` and `junit.xml`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type CounterexampleFile, encodeCounterexample } from "../counterexamples/counterexample-file.ts"
import { replay } from "../drivers/replay.ts"
import { counterexampleHtml, counterexampleMarkdown } from "../reports/counterexample-report.ts"
import { type SummaryScenario, summaryJunit, summaryMarkdown } from "../reports/run-summary.ts"

/** Writes a counterexample file and its two reports; returns the JSON file's path. */
export const writeCounterexample = (out: string, file: CounterexampleFile, name = file.property): string => {
  const dir = join(out, file.scenario.id)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.json`)
  writeFileSync(path, encodeCounterexample(file))
  const result = replay(file)
  writeFileSync(join(dir, `${name}.md`), counterexampleMarkdown(file, result))
  writeFileSync(join(dir, `${name}.html`), counterexampleHtml(file, result))
  return path
}

/** Writes `summary.json` (the command's JSON document), `summary.md` and `junit.xml`. */
export const writeSummary = (
  out: string,
  title: string,
  document: unknown,
  scenarios: ReadonlyArray<SummaryScenario>,
): void => {
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, "summary.json"), `${JSON.stringify(document, null, 2)}\n`)
  writeFileSync(join(out, "summary.md"), summaryMarkdown(title, scenarios))
  writeFileSync(join(out, "junit.xml"), summaryJunit(title, scenarios))
}
