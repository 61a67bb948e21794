/**
 * The report renderers for the library: the verdict tables of `verify` and `explore`, and a
 * counterexample as the replay text, Markdown, or a self-contained HTML page. The counterexample
 * renderers replay the file (milliseconds) to show what happened at each step.
 *
 * @module
 */
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { replay } from "../drivers/replay.ts"
import { counterexampleHtml } from "../reports/counterexample-html.ts"
import { counterexampleMarkdown } from "../reports/counterexample-report.ts"
import { renderReplay } from "../reports/replay-report.ts"

export { renderExploreTable } from "../reports/explore-report.ts"
export { renderVerifyTable } from "../reports/verify-report.ts"

/** Where the counterexample file is, for the report's "how to replay" line. */
export interface ReportOptions {
  /** The counterexample file's path, as a reader would pass it to `npx iovcheck replay`. */
  readonly path?: string
}

/** The counterexample as `iovcheck replay` prints it: every step, then the violation and the verdict. */
export const renderReplayText = (file: CounterexampleFile): string => renderReplay(file, replay(file))

/** The counterexample as Markdown: scenario, property, and the trace as a table of steps. */
export const renderCounterexampleMarkdown = (file: CounterexampleFile): string =>
  counterexampleMarkdown(file, replay(file))

/**
 * The counterexample as one self-contained HTML page (inline CSS and SVG, nothing fetched):
 * topology and initial page ownership, a sequence diagram with the violating step marked, each
 * step's events and state diff, the procedures' programs and positions, the property statement
 * and citation, and how to replay it.
 */
export const renderCounterexampleHtml = (file: CounterexampleFile, options: ReportOptions = {}): string =>
  counterexampleHtml(file, replay(file), options)
