/**
 * Every safe catalogue scenario as a property test: it stays free of violations over random runs
 * (false alarms are bugs too), and its pinned exploration (a depth and a distinct-state count in
 * the scenario file, cheap enough for every `npm test`) finds no violation up to that depth. The
 * deeper `proof` pins run in `npm run prove`; the unsafe scenarios are in
 * `scenarios-unsafe.test.ts` (two files, so vitest runs them on two cores).
 */
import { describe, expect, it } from "vitest"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { catalogue } from "../scenarios/catalogue.ts"

const now = () => performance.now()
const safe = catalogue().filter((s) => s.expected === "safe" || s.expected === undefined)

describe.each(safe.map((s) => [s.id, s] as const))("safe scenario %s", (_id, s) => {
  it("stays free of violations over random runs", () => {
    const result = search(s, { runs: 200, seed: 20261121, maxSteps: 100, properties, now })
    expect(result.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([])
  })

  it("has a pinned exploration with no violation up to its depth", () => {
    expect(s.exploration, "scenario file pins an exploration").toBeDefined()
    if (s.exploration === undefined) return
    const r = explore(iovcheckModel(s, properties), { depth: s.exploration.depth, maxStates: 10_000_000, now })
    expect(r.violations.map((v) => v.property)).toEqual([])
    expect(r.depthCompleted).toBe(s.exploration.depth)
    expect(r.distinctStates).toBe(s.exploration.distinctStates)
  })
})
