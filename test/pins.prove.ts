/**
 * The catalogue's deep pins (issue 19), re-derived: every safe scenario's `proof` (the explorer, to
 * its depth, finds exactly its distinct-state count and no violation: a bounded proof at least two
 * commands deeper than the shortest counterexample of every unsafe sibling, `scenarios/siblings.ts`)
 * and every unsafe scenario's `shortest` (the explorer's shortest counterexample length of each
 * expected property). Runs the compiled package on every core (`npm run prove` builds first):
 * the parallel explorer gives the same states and lengths as one thread. Scenarios with
 * interchangeable VFs are explored again with symmetry reduction (`explore --symmetry`): the same
 * verdicts, completed depths and shortest lengths, in fewer distinct states. A proof pinned with
 * reductions (`proof.reductions`) is re-derived with them, its count being the reduced one.
 */
import { availableParallelism } from "node:os"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type * as IovcheckModel from "../drivers/exhaustive/iovcheck-model.ts"
import type * as Parallel from "../drivers/exhaustive/parallel-bfs.ts"
import type * as Symmetry from "../drivers/exhaustive/symmetry.ts"
import type * as Catalogue from "../scenarios/catalogue.ts"

const dist = (path: string): string => new URL(`../dist/${path}`, import.meta.url).href
const { ExplorerPool } = (await import(dist("drivers/exhaustive/parallel-bfs.js"))) as typeof Parallel
const { scenarioModelSpec } = (await import(dist("drivers/exhaustive/iovcheck-model.js"))) as typeof IovcheckModel
const { catalogue } = (await import(dist("scenarios/catalogue.js"))) as typeof Catalogue
const { symmetryClasses } = (await import(dist("drivers/exhaustive/symmetry.js"))) as typeof Symmetry

const now = () => performance.now()
const maxStates = 200_000_000
let pool: Parallel.ExplorerPool
beforeAll(() => {
  pool = ExplorerPool.start(Math.max(2, availableParallelism()))
})
afterAll(async () => {
  await pool.close()
})

const all = catalogue()
const proofs = all.flatMap((s) => (s.proof === undefined ? [] : [[s.id, s, s.proof] as const]))
const shortest = all.flatMap((s) =>
  s.shortest === undefined || s.expected === undefined || s.expected === "safe"
    ? []
    : [[s.id, s, s.shortest, s.expected.violates] as const],
)

describe.each(proofs)("proof of %s", (_id, s, proof) => {
  const reductions = proof.reductions ?? []
  it(`no violation up to its pinned depth, with its pinned distinct-state count (reductions: ${reductions.join(", ") || "none"})`, async () => {
    const r = await pool.explore(scenarioModelSpec(s, undefined, reductions), { depth: proof.depth, maxStates, now })
    expect(r.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([])
    expect(r.depthCompleted).toBe(proof.depth)
    expect(r.distinctStates).toBe(proof.distinctStates)
  })

  // A proof pinned with reductions is one whose unreduced search does not fit the budget.
  it.runIf(reductions.length === 0 && symmetryClasses(s.topology).length > 0)(
    "the same with symmetry reduction, in fewer states",
    async () => {
      const r = await pool.explore(scenarioModelSpec(s, undefined, ["symmetry"]), {
        depth: proof.depth,
        maxStates,
        now,
      })
      expect(r.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([])
      expect(r.depthCompleted).toBe(proof.depth)
      expect(r.distinctStates).toBeLessThan(proof.distinctStates)
    },
  )
})

describe.each(shortest)("shortest counterexamples of %s", (_id, s, pinned, expected) => {
  it("are as long as pinned", async () => {
    const depth = Math.max(...Object.values(pinned))
    const r = await pool.explore(scenarioModelSpec(s, expected), { depth, maxStates, now })
    expect(Object.fromEntries(r.violations.map((v) => [v.property, v.commands.length]))).toEqual(pinned)
  })

  it.runIf(symmetryClasses(s.topology).length > 0)("are as long as pinned with symmetry reduction", async () => {
    const depth = Math.max(...Object.values(pinned))
    const r = await pool.explore(scenarioModelSpec(s, expected, ["symmetry"]), { depth, maxStates, now })
    expect(Object.fromEntries(r.violations.map((v) => [v.property, v.commands.length]))).toEqual(pinned)
  })
})
