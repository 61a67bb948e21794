import { describe, expect, it } from "vitest"
import { scenario } from "../test/helpers.ts"
import { type CounterexampleFile, decodeCounterexample, encodeCounterexample } from "./counterexample-file.ts"

const file: CounterexampleFile = {
  format: "iovcheck-counterexample",
  formatVersion: 1,
  iovcheckVersion: "0.1.0",
  scenario: scenario("sriov-ats-no-atc-invalidation"),
  driver: "random",
  seed: 7,
  path: "3:0",
  property: "atc-coherence",
  stepIndex: 0,
  message: "m",
  commands: [{ _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }],
}

const damaged = (mutate: (json: Record<string, unknown>) => void): string => {
  const json = JSON.parse(encodeCounterexample(file)) as Record<string, unknown>
  mutate(json)
  return JSON.stringify(json)
}

describe("counterexample file", () => {
  it("round-trips through encode and decode", () => {
    expect(decodeCounterexample(encodeCounterexample(file))).toEqual({ _tag: "Ok", file })
  })

  it.each([
    [
      "truncated JSON",
      encodeCounterexample(file).slice(0, 50),
      "not valid JSON: line 3, column 3: unexpected end of file",
    ],
    [
      "wrong field type",
      damaged((j) => {
        ;(j.commands as Array<Record<string, unknown>>)[0] = { _tag: "HostMapIova", vm: "vm1", iova: "x", page: 0 }
      }),
      '["commands"][0]',
    ],
    [
      "unknown format version",
      damaged((j) => (j.formatVersion = 3)),
      'at ["formatVersion"]: Expected formatVersion 1 or 2',
    ],
    [
      "unknown property",
      damaged((j) => (j.property = "no-such-property")),
      'at ["property"]: Expected a known property id',
    ],
    ["step index past the end", damaged((j) => (j.stepIndex = 5)), "stepIndex 5 is past the last of 1 commands"],
    ["foreign JSON", JSON.stringify({ hello: "world" }), 'not an iovcheck counterexample file: at ["format"]'],
    ["unknown key", damaged((j) => (j.sed = 1)), 'at ["sed"]: unknown key "sed" (nearest: seed'],
    [
      "unknown policy knob inline",
      damaged((j) => ((j.scenario as { policy: Record<string, string> }).policy.atcInvalidaton = "skip")),
      'at ["scenario"]["policy"]["atcInvalidaton"]: unknown key "atcInvalidaton" (nearest: atcInvalidation',
    ],
    [
      "an ID outside the topology",
      damaged(
        (j) =>
          ((j.commands as Array<Record<string, unknown>>)[0] = {
            _tag: "HostAssignFunction",
            rid: "09:00.7",
            vm: "vm1",
          }),
      ),
      'at ["commands"][0]["rid"]: HostAssignFunction: "09:00.7" is not a function',
    ],
  ])("rejects %s with one line naming what is wrong", (_name, text, expected) => {
    const r = decodeCounterexample(text)
    expect(r._tag).toBe("Error")
    if (r._tag !== "Error") return
    expect(r.message).toContain(expected)
    expect(r.message).not.toContain("\n")
  })
})
