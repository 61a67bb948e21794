/**
 * `iovcheck/vitest`: one call turns a scenario file into vitest tests.
 *
 * ```ts
 * import { scenarioTests } from "iovcheck/vitest"
 *
 * scenarioTests("designs/my-unmap.json", { runs: 500, depth: 5 })
 * ```
 *
 * - An expected-safe scenario (`"expected": "safe"`, or none) gets two tests: the random search
 *   (the driver of `iovcheck verify`, with its shrinkers) finds no violation in `runs` traces, and
 *   the breadth-first exploration finds none up to `depth` (a state budget that runs out first
 *   fails the test: nothing was proven).
 * - An expected-unsafe scenario (`{ "violates": [...] }`) gets one test per expected property: it
 *   must be violated; its shrunk counterexample is written next to the test file, like a snapshot
 *   (`__counterexamples__/<scenario>/<property>.json`, see `counterexample-store.ts`), and on later
 *   runs that trace is replayed instead of searched for. One more test checks that no other
 *   property is violated, whenever the search runs (a file missing, `vitest -u`, or the scenario
 *   changed since its files were written); otherwise it is skipped.
 *
 * A failing test prints the shrunk trace in the format of `iovcheck replay` and the path of its
 * counterexample file. Relative scenario paths are resolved against the test file's folder. The
 * search is deterministic: the seed is `options.seed`, else fast-check's global seed
 * (`fc.configureGlobal({ seed })`, as with @fast-check/vitest), else 1, the default of `iovcheck
 * verify`, so the test and the CLI give the same verdict for the same budget.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { VERIFY_DEFAULTS } from "../api/verify.ts"
import { counterexampleOf, exploreCounterexampleOf, underScenario } from "../counterexamples/counterexample-file.ts"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { type SearchResult, search } from "../drivers/random.ts"
import { replay } from "../drivers/replay.ts"
import { properties } from "../properties/catalogue.ts"
import { readScenarioFile } from "../scenarios/catalogue.ts"
import { formatExpectation } from "../scenarios/scenario.ts"
import { version } from "../cli/version.ts"
import { counterexampleStore, sameScenario, shown, type UpdateMode } from "./counterexample-store.ts"
import { ScenarioTestFailure, traceFailure } from "./failure.ts"

/** Budgets of the tests; every field has a default. */
export interface ScenarioTestOptions {
  /** Traces per search pass; default 3000 (as `iovcheck verify`). */
  readonly runs?: number
  /** fast-check seed; default fast-check's global seed, else 1. */
  readonly seed?: number
  /** Longest trace, in commands; default 100 (traces are between half of it and it). */
  readonly maxSteps?: number
  /** Depth of the exploration of a safe scenario; default the scenario's `exploration.depth`, else 6. */
  readonly depth?: number
  /** Budget of distinct states of the exploration; default 2,000,000. */
  readonly maxStates?: number
  /** Folder of the counterexample files, relative to the test file; default `__counterexamples__`. */
  readonly counterexamples?: string
  /** Timeout of each test, in milliseconds; default 600,000 (a search blocks for its duration). */
  readonly timeout?: number
}

const DEFAULTS = { depth: 6, maxStates: 2_000_000, timeout: 600_000 } as const

/** vitest's snapshot update mode of the running test file. */
const updateMode = (): UpdateMode =>
  (expect.getState().snapshotState as { snapshotUpdateState?: UpdateMode } | undefined)?.snapshotUpdateState ?? "new"

/**
 * Declares the tests of one scenario file (see the module doc) in a `describe` named after the
 * scenario. Call it at the top level of a test file or inside a `describe`. Throws
 * `ScenarioError` (one line naming the file and the field) when the file cannot be used, which
 * vitest reports as the test file's failure.
 */
export const scenarioTests = (scenarioFile: string, options: ScenarioTestOptions = {}): void => {
  const testFile = expect.getState().testPath
  if (testFile === undefined) throw new Error("iovcheck/vitest: scenarioTests must be called in a vitest test file")
  const path = isAbsolute(scenarioFile) ? scenarioFile : resolve(testFile, "..", scenarioFile)
  const scenario = readScenarioFile(path)
  const store = counterexampleStore(testFile, options.counterexamples)
  const runs = options.runs ?? VERIFY_DEFAULTS.runs
  const maxSteps = options.maxSteps ?? VERIFY_DEFAULTS.maxSteps
  const seed = options.seed ?? fc.readConfigureGlobal().seed ?? VERIFY_DEFAULTS.seed
  const timeout = options.timeout ?? DEFAULTS.timeout
  const budget = `${runs} traces of up to ${maxSteps} commands, seed ${seed}`
  const expected = scenario.expected === undefined || scenario.expected === "safe" ? [] : scenario.expected.violates

  describe(`${scenario.id} (${formatExpectation(scenario.expected)})`, () => {
    if (expected.length === 0) {
      it(
        `random search finds no violation (${budget})`,
        () => {
          const result = search(scenario, { runs, seed, maxSteps, properties, now, firstOnly: true })
          const v = result.violations[0]
          if (v === undefined) return
          const file = counterexampleOf(scenario, v, version)
          throw traceFailure(
            `${scenario.id}: ${v.property} violated at step ${v.stepIndex}, expected safe (${budget})`,
            file,
            store.write(file),
          )
        },
        timeout,
      )
      const depth = options.depth ?? scenario.exploration?.depth ?? DEFAULTS.depth
      const maxStates = options.maxStates ?? DEFAULTS.maxStates
      it(
        `exploration finds no violation up to depth ${depth}`,
        () => {
          const r = explore(iovcheckModel(scenario, properties), { depth, maxStates, now })
          const v = r.violations[0]
          if (v !== undefined) {
            const file = exploreCounterexampleOf(scenario, v, version)
            throw traceFailure(
              `${scenario.id}: ${v.property} violated by a shortest trace of ${v.commands.length} commands, expected safe (exploration to depth ${depth})`,
              file,
              store.write(file, `${v.property}.shortest`),
            )
          }
          if (r.depthCompleted < depth && r.stoppedBy !== "exhausted")
            throw new ScenarioTestFailure(
              `${scenario.id}: the exploration stopped (${r.stoppedBy}) after depth ${r.depthCompleted} of ${depth} (${r.distinctStates} distinct states), so nothing is proven to depth ${depth}: lower the depth or raise maxStates`,
            )
        },
        timeout,
      )
      return
    }

    let searched: SearchResult | undefined
    const searchOnce = (): SearchResult => {
      searched ??= search(scenario, { runs, seed, maxSteps, properties, now })
      return searched
    }
    /** Whether, when the tests were collected, a file was missing or damaged, or the scenario had changed since it was written. */
    const storeStale = expected.some((p) => {
      try {
        const stored = store.read(scenario, p)
        return stored === undefined || !sameScenario(stored.scenario, scenario)
      } catch {
        return true
      }
    })

    for (const property of expected)
      it(
        `violates ${property}`,
        () => {
          const mode = updateMode()
          const stored = mode === "all" ? undefined : store.read(scenario, property)
          const path = store.pathOf(scenario, property)
          if (stored !== undefined) {
            // Replayed under the scenario as it is now, with the programs it resolves to in this
            // version (not the ones the stored file recorded): an edited design must still break.
            const current = underScenario(stored, scenario)
            const result = replay(current)
            if (result.verdict !== "reproduced")
              throw traceFailure(
                `${scenario.id}: the stored counterexample of ${property} no longer reproduces (${result.verdict}); if the design was fixed, change its expectation; to search again: vitest -u`,
                current,
                path,
              )
            if (!sameScenario(stored.scenario, scenario) && mode !== "none") store.write(current)
            return
          }
          const v = searchOnce().violations.find((x) => x.property === property)
          if (v === undefined)
            throw new ScenarioTestFailure(
              `${scenario.id}: expected ${property} to be violated, but the random search found no violation of it (${budget}; found: ${
                searchOnce()
                  .violations.map((x) => x.property)
                  .join(", ") || "none"
              })`,
            )
          const file = counterexampleOf(scenario, v, version)
          if (mode === "none")
            throw traceFailure(
              `${scenario.id}: ${property} is violated as expected, but its counterexample file ${shown(path)} is not committed`,
              file,
              undefined,
            )
          store.write(file)
        },
        timeout,
      )

    it(
      "violates no property it does not expect",
      (context) => {
        if (!storeStale && searched === undefined && updateMode() !== "all") {
          context.skip("the stored counterexamples match the scenario; the search runs when one is missing, or with -u")
          return
        }
        const extra = searchOnce().violations.find((v) => !expected.includes(v.property))
        if (extra === undefined) return
        const file = counterexampleOf(scenario, extra, version)
        throw traceFailure(
          `${scenario.id}: ${extra.property} violated at step ${extra.stepIndex}, not in the expectation (${formatExpectation(scenario.expected)})`,
          file,
          store.write(file),
        )
      },
      timeout,
    )
  })
}

const now = (): number => performance.now()
