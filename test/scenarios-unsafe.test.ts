/**
 * Every unsafe catalogue scenario as a property test with its expectation, against the exhaustive
 * explorer: each is found, each violation's shrunk trace is 1-minimal, its length equals the
 * shortest counterexample the explorer finds (the yardstick of DESIGN.md §6), and the verdict
 * comes from `step`: the same trace runs clean under the safe sibling design.
 */
import { describe, expect, it } from "vitest"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { safeSiblingOf } from "../scenarios/siblings.ts"
import { runCommands } from "./helpers.ts"

const now = () => performance.now()
const unsafe = catalogue().filter((s) => s.expected !== "safe" && s.expected !== undefined)

describe.each(unsafe.map((s) => [s.id, s] as const))("unsafe scenario %s", (id, s) => {
  it("is found, shrunk to the shortest length, and clean under its safe sibling", () => {
    const result = search(s, { runs: 3000, seed: 20261121, maxSteps: 100, properties, now })
    const violated = result.violations.map((v) => v.property)
    expect(matchesExpectation(s.expected, violated), `violated: ${violated.join(", ") || "none"}`).toBe(true)
    const longest = Math.max(...result.violations.map((v) => v.commands.length))
    const shortest = explore(iovcheckModel(s, properties), { depth: longest, maxStates: 5_000_000, now })
    const sibling = safeSiblingOf(s, catalogue())
    expect(sibling, `${id} has a safe sibling`).toBeDefined()
    if (sibling === undefined) return
    for (const v of result.violations) {
      expect(v.oneMinimal).toBe(true)
      expect(v.stepIndex).toBe(v.commands.length - 1)
      const yardstick = shortest.violations.find((x) => x.property === v.property)
      expect(v.commands.length, `${id} ${v.property}: shrunk vs shortest`).toBe(yardstick?.commands.length)
      expect(runCommands(sibling, v.commands).findings, `${v.property} trace under ${sibling.id}`).toEqual([])
    }
  })
})
