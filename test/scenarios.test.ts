/**
 * Every catalogue scenario as a property test with its expectation: safe designs stay free of
 * violations over many runs, unsafe ones are found; and each unsafe verdict comes from `step`: the
 * same shrunk trace runs clean under the safe sibling design (the strict policy).
 */
import { describe, expect, it } from "vitest"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { matchesExpectation } from "../reports/verify-report.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { runCommands, scenario } from "./helpers.ts"

const now = () => performance.now()

describe.each(catalogue().map((s) => [s.id, s] as const))("scenario %s", (_id, s) => {
  it("meets its expectation", () => {
    const safe = s.expected === "safe" || s.expected === undefined
    const result = search(s, { runs: safe ? 3000 : 1500, seed: 20261121, maxSteps: 50, properties, now })
    const violated = result.violations.map((v) => v.property)
    expect(violated.filter((p) => p === "model-defect")).toEqual([])
    expect(matchesExpectation(s.expected, violated), `violated: ${violated.join(", ") || "none"}`).toBe(true)
    for (const v of result.violations) {
      expect(v.oneMinimal).toBe(true)
      expect(v.stepIndex).toBe(v.commands.length - 1)
      const sibling = runCommands(scenario("sriov-ats-strict"), v.commands)
      expect(sibling.findings, `${v.property} trace under sriov-ats-strict`).toEqual([])
    }
  })
})
