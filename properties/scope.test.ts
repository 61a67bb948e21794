/**
 * Each property's declared `scope` (what its `check` reads, which the explorer and the random
 * driver use to skip checks whose result they know) against its behaviour on recorded transitions
 * of random traces of every catalogue scenario, violating ones included: a `"state"` property gives
 * the same result with every other part of the transition swapped for another step's, and an
 * `"events"` property finds nothing once the events are taken away.
 */
import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fromChoices } from "../drivers/random.ts"
import { runTrace, type StepRecord } from "../drivers/run-trace.ts"
import { initialState } from "../model/init.ts"
import { type VendorId, vendors } from "../model/vendor.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { scenarioContext } from "../scenarios/scenario.ts"
import { properties } from "./catalogue.ts"

const recorded = (): ReadonlyArray<{ readonly vendor: VendorId; readonly steps: ReadonlyArray<StepRecord> }> =>
  catalogue().map((s) => {
    const traces = fc.sample(fc.array(fc.nat({ max: 0x7fffffff }), { minLength: 60, maxLength: 60 }), {
      numRuns: 8,
      seed: 19,
    })
    const steps = traces.flatMap(
      (choices) =>
        Effect.runSync(
          Effect.provideContext(
            runTrace(initialState(s.topology), fromChoices(choices), properties, { record: true, keepGoing: true }),
            scenarioContext(s),
          ),
        ).steps,
    )
    return { vendor: s.vendor, steps }
  })

describe("property scopes", () => {
  const runs = recorded()

  it("a state property reads the state reached only", () => {
    let violations = 0
    const differing: Array<string> = []
    for (const { vendor, steps } of runs)
      steps.forEach((t, i) => {
        const other = steps[(i * 7 + 3) % steps.length] as StepRecord
        for (const p of properties.filter((q) => q.scope === "state")) {
          const message = p.check({ ...t, vendor: vendors[vendor] })
          if (message !== undefined) violations++
          if (p.check({ ...other, after: t.after, vendor: vendors[vendor] }) !== message) differing.push(p.id)
        }
      })
    expect(differing).toEqual([])
    // Not vacuous: the unsafe scenarios' coherence properties fire on some recorded transitions.
    expect(violations).toBeGreaterThan(0)
  })

  it("an events property finds nothing in a transition without events", () => {
    const found: Array<string> = []
    for (const { vendor, steps } of runs)
      for (const t of steps)
        for (const p of properties.filter((q) => q.scope === "events"))
          if (p.check({ ...t, events: [], vendor: vendors[vendor] }) !== undefined) found.push(p.id)
    expect(found).toEqual([])
  })
})
