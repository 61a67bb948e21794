/**
 * The parallel explorer (two search threads over a shared fingerprint table) against the
 * single-threaded one: the same distinct states at every depth, the same verdict and the same
 * shortest counterexample length for every property, on catalogue scenarios of every family, on
 * the two-phase-commit calibration model, and on a small model with broken states (model defects)
 * and transitions back into its initial state; and at depth 2, where the level kept as references
 * (`frontier.ts`) is handed between threads. The shared table starts tiny, so it grows while the
 * threads are in the middle of a level. Runs the compiled package (`npm test` builds before vitest):
 * search threads need JavaScript.
 */
import { writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type * as Bfs from "../drivers/exhaustive/bfs.ts"
import type * as IovcheckModel from "../drivers/exhaustive/iovcheck-model.ts"
import type * as Parallel from "../drivers/exhaustive/parallel-bfs.ts"
import { scenario } from "./helpers.ts"

const dist = (path: string): string => new URL(`../dist/${path}`, import.meta.url).href
const { explore } = (await import(dist("drivers/exhaustive/bfs.js"))) as typeof Bfs
const { ExplorerPool, loadModel } = (await import(dist("drivers/exhaustive/parallel-bfs.js"))) as typeof Parallel
const { scenarioModelSpec } = (await import(dist("drivers/exhaustive/iovcheck-model.js"))) as typeof IovcheckModel

const now = () => performance.now()

/**
 * What must not depend on the number of threads. A search that stops once every property is
 * violated stops in the middle of a level, where each thread has gone its own way: its distinct
 * states (and transitions) count part of that level.
 */
const outcome = (r: Bfs.ExploreResult<unknown>) => ({
  depthCompleted: r.depthCompleted,
  stoppedBy: r.stoppedBy,
  distinctStates: r.stoppedBy === "all-violated" ? "part of a level" : r.distinctStates,
  statesPerDepth: r.statesPerDepth,
  shortest: Object.fromEntries(
    r.violations.map((v) => [v.property, v.commands.length] as const).sort(([a], [b]) => (a < b ? -1 : 1)),
  ),
})

let pool: Parallel.ExplorerPool
beforeAll(() => {
  pool = ExplorerPool.start(2)
})
afterAll(async () => {
  await pool.close()
})

const compare = async (spec: Parallel.ModelSpec, depth: number, maxStates = 1e7) => {
  const single = explore(await loadModel(spec), { depth, maxStates, now })
  const parallel = await pool.explore(spec, { depth, maxStates, now, tableCapacity: 16 })
  expect(outcome(parallel)).toEqual(outcome(single))
  if (single.stoppedBy !== "all-violated") expect(parallel.transitions).toBe(single.transitions)
  return { single, parallel }
}

/**
 * A ternary tree (state n has children 3n + 1 … 3n + 3, commands 0 … 2, so level d holds states
 * (3^d − 1) / 2 … (3^(d+1) − 3) / 2 in expansion order) whose transitions violate a property or
 * kill the model (a model defect) where `marks` says: `[state, command, property]`, the property
 * `"model-defect"` for a dying transition.
 */
const treeModule = join(tmpdir(), `iovcheck-tree-model-${process.pid}.mjs`)
writeFileSync(
  treeModule,
  `export const treeModel = (marks, propertyCount, slowMicros = 0) => ({
    initial: 0,
    enabled: () => [0, 1, 2],
    next: (s, c) => {
      for (const until = performance.now() + slowMicros / 1000; performance.now() < until; );
      const hits = marks.filter(([at, k]) => at === s && k === c).map(([, , property]) => ({ property, message: property }))
      return { state: hits.some((v) => v.property === "model-defect") ? undefined : 3 * s + c + 1, violations: hits }
    },
    fingerprint: (s) => ({ hi: Math.imul(s + 1, 0x9e3779b1) >>> 0, lo: Math.imul(s + 7, 0x85ebca6b) >>> 0 }),
    propertyCount,
  })`,
)
const tree = (
  marks: ReadonlyArray<readonly [number, number, string]>,
  propertyCount: number,
  slowMicros = 0,
): Parallel.ModelSpec => ({
  module: pathToFileURL(treeModule).href,
  export: "treeModel",
  args: [marks, propertyCount, slowMicros],
})
const lengths = (r: Bfs.ExploreResult<unknown>) =>
  Object.fromEntries(r.violations.map((v) => [v.property, v.commands.length] as const))

describe("parallel explorer", () => {
  it.each([
    ["flush-deferred", 8],
    ["lifecycle-release-host-identity", 10],
    ["lifecycle-release-blocking-no-quiesce", 13],
    ["siov-ims-guest-writable", 5],
    ["vf-pasid-mirror-readonly", 3],
    ["nested-amd-dropped-atc", 7],
    ["tdisp-flip-in-flight", 5],
    // Level 1, the last one expanded, is kept as references, all on the first thread: half of it
    // is handed to the other thread, rebuilt.
    ["sriov-ats-strict", 2],
  ])("explores %s to depth %i as the single-threaded explorer does", async (id, depth) => {
    await compare(scenarioModelSpec(scenario(id)), depth)
  })

  it.each([
    ["siov-ims-guest-writable", 5],
    ["flush-range-first-page", 9],
  ])(
    "stops %s's search for its shortest counterexamples inside level %i, where the last is found, as the single-threaded explorer does",
    async (id, longest) => {
      const s = scenario(id)
      const expected = s.expected !== undefined && s.expected !== "safe" ? s.expected.violates : []
      const { single, parallel } = await compare(scenarioModelSpec(s, expected), 30)
      expect([single.stoppedBy, single.depthCompleted]).toEqual(["all-violated", longest - 1])
      expect(lengths(single)).toEqual(s.shortest)
      const toLongest = explore(await loadModel(scenarioModelSpec(s)), { depth: longest, maxStates: 1e7, now })
      expect(single.distinctStates).toBeLessThan(toLongest.distinctStates)
      expect(parallel.distinctStates).toBeLessThanOrEqual(toLongest.distinctStates)
    },
  )

  it("stops every thread soon after one violates the last property", async () => {
    // P on the first command of every transition of level 6 (from level 5's states, 121 … 363), so
    // each thread violates it on its first transition there; 100 µs a transition leaves the
    // coordinator tens of milliseconds to raise the stop before the threads finish the level's 729.
    const marks = Array.from({ length: 243 }, (_, i) => [121 + i, 0, "P"] as const)
    const { parallel } = await compare(tree(marks, 1, 100), 10)
    expect([parallel.stoppedBy, parallel.depthCompleted, lengths(parallel)]).toEqual(["all-violated", 5, { P: 6 }])
    const toLevel5 = 1 + 3 + 9 + 27 + 81 + 243
    expect(parallel.distinctStates).toBeLessThan(toLevel5 + 729 / 2)
  })

  it("does not count a model defect as a property, nor the level of the last property's counterexample", async () => {
    // Level 1: a dying transition, then P, then Q on the level's last transition.
    const { single } = await compare(
      tree(
        [
          [0, 0, "model-defect"],
          [0, 1, "P"],
          [0, 2, "Q"],
        ],
        2,
      ),
      5,
    )
    expect(lengths(single)).toEqual({ "model-defect": 1, P: 1, Q: 1 })
    expect([single.stoppedBy, single.depthCompleted, single.statesPerDepth]).toEqual(["all-violated", 0, [1]])
    // Level 2's last transition (state 3 is level 1's last state): level 2 is complete, not counted.
    const { single: atLevel2 } = await compare(tree([[3, 2, "P"]], 1), 5)
    expect([atLevel2.stoppedBy, atLevel2.depthCompleted, atLevel2.statesPerDepth]).toEqual(["all-violated", 1, [1, 3]])
  })

  it("reports all-violated when the state budget runs out on the transition that violates the last property, as one thread does", async () => {
    // Level 1 is expanded by the one thread that holds the initial state: P on its first transition,
    // whose new state fills the budget of 2. (Deeper, which thread fills the budget first is a race:
    // a search stopped inside a level may get as far as it likes, and find P or not.)
    const { single, parallel } = await compare(tree([[0, 0, "P"]], 1), 10, 2)
    expect([single.stoppedBy, single.depthCompleted, lengths(single)]).toEqual(["all-violated", 0, { P: 1 }])
    expect(lengths(parallel)).toEqual({ P: 1 })
  })

  it("with no property to check, stops before the first transition, as one thread does", async () => {
    const { single } = await compare(tree([], 0), 5)
    expect([single.stoppedBy, single.depthCompleted, single.transitions]).toEqual(["all-violated", 0, 0])
  })

  it("explores two-phase commit with 5 resource managers to its 8,832 states", async () => {
    const { single: r } = await compare(
      { module: dist("drivers/exhaustive/two-phase-commit.js"), export: "twoPhaseCommit", args: [5] },
      100,
    )
    expect(r.distinctStates).toBe(8832)
  })

  it("reports broken states as model defects and checks transitions back into the initial state", async () => {
    // States 0…59; a state ≡ 3 (mod 7) is broken; 40 violates a property of the state; returning
    // to 0 from above 40 violates a property of the transition.
    const module = join(tmpdir(), `iovcheck-defect-model-${process.pid}.mjs`)
    writeFileSync(
      module,
      `export const defectModel = () => ({
        initial: 0,
        enabled: (s) => [1, 2, 5, 0],
        next: (s, c) => ({ state: c === 0 ? 0 : (s * 3 + c) % 60, violations: [] }),
        check: (s, c, succ, checks) => {
          const t = succ.state
          if (checks === "all" && t % 7 === 3) return { defect: { property: "model-defect", message: "broken " + t }, violations: [] }
          const violations = []
          if (checks !== "none" && t === 40) violations.push({ property: "forty", message: "40" })
          if (c === 0 && s > 40) violations.push({ property: "back", message: "back from " + s })
          return { violations }
        },
        fingerprint: (s) => ({ hi: Math.imul(s + 1, 0x9e3779b1) >>> 0, lo: Math.imul(s + 7, 0x85ebca6b) >>> 0 }),
        propertyCount: 2,
      })`,
    )
    const { single: r } = await compare({ module: pathToFileURL(module).href, export: "defectModel", args: [] }, 12)
    expect(r.violations.map((v) => v.property).sort()).toEqual(["back", "forty", "model-defect"])
  })
})
