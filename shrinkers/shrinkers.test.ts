import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { fromChoices } from "../drivers/random.ts"
import { fromList, runTrace } from "../drivers/run-trace.ts"
import type { Command } from "../model/command.ts"
import { initialState } from "../model/init.ts"
import { atcCoherence } from "../properties/atc-coherence.ts"
import { scenarioContext } from "../scenarios/scenario.ts"
import { scenario } from "../test/helpers.ts"
import { idDomains, substitute } from "./ids.ts"
import { type Fails, isOneMinimal } from "./one-minimal.ts"
import { renumberCanonically } from "./renumber.ts"
import { shrinkTrace } from "./shrink-trace.ts"
import { simplifyValues } from "./simplify-values.ts"

const s = scenario("sriov-ats-no-atc-invalidation")
const domains = idDomains(s.topology)
const run = (next: Parameters<typeof runTrace>[1]) =>
  Effect.runSync(Effect.provideContext(runTrace(initialState(s.topology), next, [atcCoherence]), scenarioContext(s)))
const fails: Fails<Command> = (candidate) => {
  const r = run(fromList(candidate))
  return r.finding?.property === "atc-coherence" ? r.commands : undefined
}

/** Failing traces of the real model: random state-aware traces that violate atc-coherence. */
const failingTrace = fc
  .array(fc.nat(), { minLength: 5, maxLength: 40 })
  .map((choices) => run(fromChoices(choices)))
  .filter((r) => r.finding !== undefined)
  .map((r) => r.commands)

describe.each([
  ["simplifyValues", (t: ReadonlyArray<Command>) => simplifyValues(t, fails, domains)],
  ["renumberCanonically", (t: ReadonlyArray<Command>) => renumberCanonically(t, fails, domains)],
  ["shrinkTrace", (t: ReadonlyArray<Command>) => shrinkTrace(t, fails, domains)],
])("%s", (_name, shrink) => {
  test.prop([failingTrace], { numRuns: 10 })("never returns a longer trace; the result still fails", (trace) => {
    const shrunk = shrink(trace)
    expect(shrunk.length).toBeLessThanOrEqual(trace.length)
    expect(fails(shrunk)).toEqual(shrunk)
  })
})

test.prop([failingTrace], { numRuns: 10 })("shrinkTrace returns a 1-minimal trace", (trace) => {
  expect(isOneMinimal(shrinkTrace(trace, fails, domains), fails)).toBe(true)
})

describe("canonical renumbering", () => {
  const canonical: ReadonlyArray<Command> = [
    { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
    { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
    { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 0x1000 },
    { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 },
    { _tag: "HostAdvance", pid: "unmap:vm1:0x1000" },
    { _tag: "HostAdvance", pid: "unmap:vm1:0x1000" },
  ]

  it("makes the same bug on the other VM, VF and IOVA look the same", () => {
    const mirrored = [
      [
        "vm",
        new Map<string | number, string | number>([
          ["vm1", "vm2"],
          ["vm2", "vm1"],
        ]),
      ],
      [
        "page",
        new Map<string | number, string | number>([
          [0, 1],
          [1, 0],
        ]),
      ],
      [
        "rid",
        new Map<string | number, string | number>([
          ["01:00.1", "01:00.2"],
          ["01:00.2", "01:00.1"],
        ]),
      ],
      [
        "iova",
        new Map<string | number, string | number>([
          [0x1000, 0x2000],
          [0x2000, 0x1000],
        ]),
      ],
    ] as const
    const other = mirrored.reduce((t, [kind, m]) => substitute(t, kind, m), canonical)
    expect(other[4]).toEqual({ _tag: "HostAdvance", pid: "unmap:vm2:0x2000" })
    expect(fails(other)).toEqual(other)
    expect(renumberCanonically(other, fails, domains)).toEqual(canonical)
  })

  it("leaves a trace alone when the renamed trace no longer fails", () => {
    const never: Fails<Command> = () => undefined
    expect(renumberCanonically(canonical, never, domains)).toBe(canonical)
  })
})
