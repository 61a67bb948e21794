/**
 * Where `iovcheck/vitest` keeps the counterexamples of a test file, like vitest keeps snapshots:
 * `__counterexamples__/<scenario>/<property>.json` beside the test file (with the `.md` and `.html`
 * reports beside each), read back and replayed on later runs, and written by vitest's snapshot
 * update rule:
 * - `new` (a local run, the default): a missing file is written; a stored one is replayed;
 * - `all` (`vitest -u`): the search runs again and every file it finds is rewritten;
 * - `none` (CI): nothing is written; a missing file fails its test (commit the files).
 *
 * @module
 */
import { existsSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { readCounterexampleFile } from "../counterexamples/read-counterexample.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { writeCounterexample } from "../cli/outputs.ts"

/** vitest's snapshot update mode (`expect.getState().snapshotState.snapshotUpdateState`). */
export type UpdateMode = "all" | "new" | "none"

/** A test file's store of counterexamples. */
export interface CounterexampleStore {
  /** The folder: `<test file's folder>/__counterexamples__` unless the options name another. */
  readonly folder: string
  /** `folder/<scenario>/<property>.json`. */
  readonly pathOf: (scenario: Scenario, property: string) => string
  /** The stored counterexample of a property, or undefined; throws `CounterexampleError` for a damaged file. */
  readonly read: (scenario: Scenario, property: string) => CounterexampleFile | undefined
  /**
   * Writes a counterexample as `folder/<scenario>/<name>.json` (`name` defaults to its property)
   * with its `.md` and `.html` reports; returns the JSON file's path.
   */
  readonly write: (file: CounterexampleFile, name?: string) => string
}

/** The store beside `testFile`, or in `folder` (resolved against the test file's folder). */
export const counterexampleStore = (testFile: string, folder = "__counterexamples__"): CounterexampleStore => {
  const root = resolve(dirname(testFile), folder)
  const pathOf = (scenario: Scenario, property: string) => join(root, scenario.id, `${property}.json`)
  return {
    folder: root,
    pathOf,
    read: (scenario, property) => {
      const path = pathOf(scenario, property)
      return existsSync(path) ? readCounterexampleFile(path) : undefined
    },
    write: (file, name) => writeCounterexample(root, file, name),
  }
}

/** Whether two decoded scenarios are the same design (their JSON is equal; decoding orders the keys). */
export const sameScenario = (a: Scenario, b: Scenario): boolean => JSON.stringify(a) === JSON.stringify(b)

/** A path as the user reads it: relative to the working folder (the project root under vitest). */
export const shown = (path: string): string => relative(process.cwd(), path) || path
