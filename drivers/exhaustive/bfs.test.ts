/**
 * The single-threaded explorer's stop once every property has a shortest counterexample: in the
 * middle of the level where the last one is found, the levels before it complete and counted as a
 * search to that level counts them. (Distinct-state counts, depths and shortest lengths of the
 * catalogue: `scenarios-safe.test.ts`, `pins.prove.ts`; the parallel explorer against this one:
 * `parallel-explore.test.ts`.)
 */
import { describe, expect, it } from "vitest"
import { scenario } from "../../test/helpers.ts"
import { explore } from "./bfs.ts"
import { scenarioModel } from "./iovcheck-model.ts"

const now = () => performance.now()

describe("explore: a search for shortest counterexamples", () => {
  it("stops inside the level where the last property is violated, with the pinned lengths", () => {
    // interrupt-isolation's shortest counterexample is 5 commands long.
    const s = scenario("siov-ims-guest-writable")
    const shortest = explore(scenarioModel(s, ["interrupt-isolation"]), { depth: 30, maxStates: 1e6, now })
    const toLevel5 = explore(scenarioModel(s), { depth: 5, maxStates: 1e6, now })
    expect([shortest.stoppedBy, shortest.depthCompleted]).toEqual(["all-violated", 4])
    expect(shortest.violations.map((v) => [v.property, v.commands.length])).toEqual([["interrupt-isolation", 5]])
    expect(shortest.statesPerDepth).toEqual(toLevel5.statesPerDepth.slice(0, 5))
    const toLevel4 = toLevel5.statesPerDepth.slice(0, 5).reduce((a, b) => a + b, 0)
    expect(shortest.distinctStates).toBeGreaterThan(toLevel4)
    expect(shortest.distinctStates).toBeLessThan(toLevel5.distinctStates)
  })

  it("with no property to check, stops before the first transition", () => {
    const r = explore(scenarioModel(scenario("siov-ims-guest-writable"), []), { depth: 30, maxStates: 1e6, now })
    expect([r.stoppedBy, r.depthCompleted, r.transitions, r.distinctStates]).toEqual(["all-violated", 0, 0, 1])
  })
})
