/**
 * Every unsafe catalogue scenario as a property test with its expectation: the random driver finds
 * exactly the expected properties, each violation's shrunk trace is 1-minimal and as short as the
 * shortest counterexample pinned in the scenario file (`shortest`, the explorer's breadth-first
 * yardstick of DESIGN.md §6, which `npm run prove` re-derives), and the verdict comes from the
 * design: the same trace runs clean under the safe sibling (`scenarios/siblings.ts`).
 */
import { describe, expect, it } from "vitest"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { safeSiblingOf } from "../scenarios/siblings.ts"
import { runCommands } from "./helpers.ts"

const now = () => performance.now()
const unsafe = catalogue().filter((s) => s.expected !== "safe" && s.expected !== undefined)

describe.each(unsafe.map((s) => [s.id, s] as const))("unsafe scenario %s", (id, s) => {
  it("is found, shrunk to its pinned shortest length, and clean under its safe sibling", () => {
    const result = search(s, { runs: 400, seed: 20261121, maxSteps: 100, properties, now })
    const violated = result.violations.map((v) => v.property)
    expect(matchesExpectation(s.expected, violated), `violated: ${violated.join(", ") || "none"}`).toBe(true)
    const sibling = safeSiblingOf(s, catalogue())
    expect(sibling, `${id} has a safe sibling`).toBeDefined()
    if (sibling === undefined) return
    for (const v of result.violations) {
      expect(v.oneMinimal).toBe(true)
      expect(v.stepIndex).toBe(v.commands.length - 1)
      expect(v.commands.length, `${id} ${v.property}: shrunk vs pinned shortest`).toBe(s.shortest?.[v.property])
      expect(runCommands(sibling, v.commands).findings, `${v.property} trace under ${sibling.id}`).toEqual([])
    }
  })
})
