/**
 * The combination sweep in `npm test`: the pairwise covering array of the feature grid, each
 * generated scenario under the default policy checked with both drivers at a small budget (the
 * nightly workflow runs `iovcheck sweep --all` deeper). Every one must be free of violations and
 * model defects: a finding here is a model bug or a hazard of the combination, never a reason to
 * weaken a property.
 */
import { describe, expect, it } from "vitest"
import { coversAllPairs, fullGrid } from "../drivers/sweep/pairwise.ts"
import { sweepOne, sweepRows, sweepScenarios } from "../drivers/sweep/sweep.ts"
import { properties } from "../properties/catalogue.ts"
import { GRID_FACTORS, validRow } from "../scenarios/feature-grid.ts"

describe("the feature grid", () => {
  it("pairwise rows cover every pair of levels some valid combination holds", () => {
    const rows = sweepRows("pairwise")
    expect(coversAllPairs(GRID_FACTORS, fullGrid(GRID_FACTORS, validRow), rows)).toBe(true)
    expect(rows.every(validRow)).toBe(true)
  })

  it("--all holds every feature combination once", () => {
    const all = sweepScenarios("all")
    expect(new Set(all.map((s) => s.scenario.id)).size).toBe(all.length)
    expect(all.every((s) => !s.point.tdisp || s.point.cvm)).toBe(true)
  })
})

describe.each(sweepScenarios("pairwise").map(({ point, scenario }) => [scenario.id, point, scenario] as const))(
  "sweep %s",
  (_id, point, scenario) => {
    it("has no violation and no model defect (random 120 runs, explored to depth 4)", () => {
      const r = sweepOne(point, scenario, {
        runs: 120,
        maxSteps: 100,
        seed: 20261122,
        depth: 4,
        maxStates: 20_000,
        properties,
        now: () => performance.now(),
      })
      expect(r.findings.map((f) => `${f.driver} ${f.property}: ${f.message}`)).toEqual([])
    })
  },
)
