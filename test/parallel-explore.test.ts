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

const compare = async (spec: Parallel.ModelSpec, depth: number) => {
  const single = explore(await loadModel(spec), { depth, maxStates: 1e7, now })
  const parallel = await pool.explore(spec, { depth, maxStates: 1e7, now, tableCapacity: 16 })
  expect(outcome(parallel)).toEqual(outcome(single))
  if (single.stoppedBy !== "all-violated") expect(parallel.transitions).toBe(single.transitions)
  return single
}

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
      const single = await compare(scenarioModelSpec(s, expected), 30)
      expect([single.stoppedBy, single.depthCompleted]).toEqual(["all-violated", longest - 1])
      expect(Object.fromEntries(single.violations.map((v) => [v.property, v.commands.length]))).toEqual(s.shortest)
    },
  )

  it("explores two-phase commit with 5 resource managers to its 8,832 states", async () => {
    const r = await compare(
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
        propertyCount: 3,
      })`,
    )
    const r = await compare({ module: pathToFileURL(module).href, export: "defectModel", args: [] }, 12)
    expect(r.violations.map((v) => v.property).sort()).toEqual(["back", "forty", "model-defect"])
  })
})
