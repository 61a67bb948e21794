/**
 * Every unsafe catalogue scenario as a property test with its expectation: the random driver finds
 * every expected property and, over fewer runs, no other one, each violation's shrunk trace is 1-minimal and as short as the
 * shortest counterexample pinned in the scenario file (`shortest`, the explorer's breadth-first
 * yardstick of DESIGN.md §6, which `npm run prove` re-derives) or, where none is known, as long as
 * the shrunk length `SHORTEST_GAPS` lists (an upper bound the proof rule uses), and the verdict comes from the
 * design: the same trace runs clean under the safe sibling (`scenarios/siblings.ts`).
 */
import { describe, expect, it } from "vitest"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { knownCounterexampleLengths, SHORTEST_GAPS, safeSiblingOf } from "../scenarios/siblings.ts"
import { firstNotEnabled, runCommands } from "./helpers.ts"

const now = () => performance.now()

/**
 * Where the shrinker stops above the pinned shortest length (a 1-minimal trace that is not the
 * shortest: the shortest takes a different path, not a subsequence of the trace found), with the
 * length it reaches at this seed. An improvement of the shrinker shows here as a failure.
 */
const SHRINK_GAPS: Readonly<Record<string, number>> = {
  "cache-context-tag-after-change/entry-cache-coherence": 14,
  // Release to the host and a fresh assignment instead of the 13-command reassignment.
  "lifecycle-reassign-no-flr/atc-coherence": 14,
  "nested-shared-pdid/dma-isolation": 9,
  "tag-free-without-flush/dma-isolation": 16,
}
it("shrinks past no length a shortest gap lists", () => {
  // A shrinker gap on a scenario without a pinned shortest would hide the length that stands in
  // for its shortest in the proof rule.
  expect(Object.keys(SHRINK_GAPS).filter((key) => (key.split("/")[0] as string) in SHORTEST_GAPS)).toEqual([])
})

const unsafe = catalogue().filter((s) => s.expected !== "safe" && s.expected !== undefined)

describe.each(unsafe.map((s) => [s.id, s] as const))("unsafe scenario %s", (id, s) => {
  const expected = s.expected === undefined || s.expected === "safe" ? [] : s.expected.violates
  it("violates no property it does not expect over random runs", () => {
    const others = properties.filter((p) => !expected.includes(p.id))
    const result = search(s, { runs: 100, seed: 20261121, maxSteps: 100, properties: others, now, firstOnly: true })
    expect(result.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([])
  })

  it("is found, shrunk to its pinned shortest length, and clean under its safe sibling", () => {
    // The search stops once every expected property has a counterexample.
    const sought = properties.filter((p) => expected.includes(p.id))
    const result = search(s, { runs: 5000, seed: 20261121, maxSteps: 100, properties: sought, now })
    const violated = result.violations.map((v) => v.property)
    expect(matchesExpectation(s.expected, violated), `violated: ${violated.join(", ") || "none"}`).toBe(true)
    const sibling = safeSiblingOf(s, catalogue())
    expect(sibling, `${id} has a safe sibling`).toBeDefined()
    if (sibling === undefined) return
    for (const v of result.violations) {
      expect(v.oneMinimal).toBe(true)
      // Every command is one `enabled` offers: the trace is in the explorer's search space, so its
      // length bounds the explorer's shortest.
      expect(firstNotEnabled(s, v.commands), `${v.property}: a command enabled does not offer`).toBeUndefined()
      expect(v.stepIndex).toBe(v.commands.length - 1)
      // The pinned shortest, or for a scenario in SHORTEST_GAPS the shrunk length it lists.
      const pinned = knownCounterexampleLengths(s)[v.property]
      if (pinned !== undefined)
        expect(v.commands.length, `${id} ${v.property}: shrunk vs pinned shortest (or listed shrunk length)`).toBe(
          SHRINK_GAPS[`${id}/${v.property}`] ?? pinned,
        )
      expect(runCommands(sibling, v.commands).findings, `${v.property} trace under ${sibling.id}`).toEqual([])
    }
  })
})
