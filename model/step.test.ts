import { fc, test } from "@fast-check/vitest"
import { Equal, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { scenario, stepIn } from "../test/helpers.ts"
import { Command } from "./command.ts"
import { enabled } from "./enabled.ts"
import { initialState } from "./init.ts"
import { resolvePolicy } from "./policy.ts"
import { resolvePrograms } from "./programs.ts"
import type { State } from "./state.ts"
import { brokenInvariant } from "./well-formed.ts"

const strict = scenario("sriov-ats-strict")
const programs = resolvePrograms(resolvePolicy(strict.policy), strict.procedures)

/** Any command over a small ID space that includes IDs the topology does not have. */
const anyCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("HostAllocatePage" as const),
    page: fc.nat(4),
    vm: fc.constantFrom("vm1", "vm2", "vm3"),
  }),
  fc.record({
    _tag: fc.constant("HostAssignFunction" as const),
    rid: fc.constantFrom("01:00.0", "01:00.1", "01:00.2", "02:00.0"),
    vm: fc.constantFrom("vm1", "vm2", "vm3"),
  }),
  fc.record({
    _tag: fc.constant("HostMapIova" as const),
    vm: fc.constantFrom("vm1", "vm2"),
    iova: fc.constantFrom(0x1000, 0x2000, 0x3000),
    page: fc.nat(4),
  }),
  fc.record({
    _tag: fc.constant("HostUnmapIova" as const),
    vm: fc.constantFrom("vm1", "vm2"),
    iova: fc.constantFrom(0x1000, 0x2000),
  }),
  fc.record({
    _tag: fc.constant("HostAdvance" as const),
    pid: fc.constantFrom("unmap:vm1:0x1000", "unmap:vm2:0x2000", "nope"),
  }),
  fc.record({
    _tag: fc.constantFrom(
      "DeviceTranslationRequest" as const,
      "DeviceDmaRead" as const,
      "DeviceDmaWrite" as const,
      "DeviceTranslatedRead" as const,
      "DeviceTranslatedWrite" as const,
    ),
    rid: fc.constantFrom("01:00.0", "01:00.1", "01:00.2", "02:00.0"),
    iova: fc.constantFrom(0x1000, 0x2000, 0x3000),
  }),
  fc.record({
    _tag: fc.constant("DeviceCompleteAtsInvalidation" as const),
    rid: fc.constantFrom("01:00.1", "01:00.2", "02:00.0"),
  }),
)

describe("step", () => {
  test.prop([fc.array(anyCommand, { maxLength: 40 })], { numRuns: 300 })(
    "is total: any command in any reachable state yields an outcome, never a throw; a non-Ok outcome changes nothing",
    (commands) => {
      let state: State = initialState(strict.topology)
      for (const c of commands) {
        const r = stepIn(strict, state, c)
        if (r.outcome._tag !== "Ok") expect(r.state).toBe(state)
        expect(brokenInvariant(r.state, programs)).toBeUndefined()
        state = r.state
      }
    },
  )

  test.prop([fc.array(fc.nat(), { maxLength: 30 })], { numRuns: 200 })(
    "enabled commands decode with the Command Schema and are deterministic for equal states",
    (choices) => {
      let state: State = initialState(strict.topology)
      for (const choice of choices) {
        const options = enabled(state)
        expect(enabled(structuredClone(state))).toEqual(options)
        for (const o of options) expect(Schema.decodeUnknownSync(Command)(o)).toEqual(o)
        const c = options[choice % options.length]
        if (c === undefined) break
        state = stepIn(strict, state, c).state
      }
    },
  )

  it("states are structurally comparable: equal histories give Equal states", () => {
    const cmds: ReadonlyArray<Command> = [
      { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
    ]
    const run = () => cmds.reduce((s, c) => stepIn(strict, s, c).state, initialState(strict.topology))
    expect(Equal.equals(run(), run())).toBe(true)
    expect(Equal.equals(run(), initialState(strict.topology))).toBe(false)
  })
})
