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
    ["truncated JSON", encodeCounterexample(file).slice(0, 50), "Expected a valid JSON string"],
    [
      "wrong field type",
      damaged((j) => {
        ;(j.commands as Array<Record<string, unknown>>)[0] = { _tag: "HostMapIova", vm: "vm1", iova: "x", page: 0 }
      }),
      '["commands"][0]',
    ],
    ["unknown format version", damaged((j) => (j.formatVersion = 2)), 'at ["formatVersion"]: Expected formatVersion 1'],
    [
      "unknown property",
      damaged((j) => (j.property = "no-such-property")),
      'at ["property"]: Expected a known property id',
    ],
    ["step index past the end", damaged((j) => (j.stepIndex = 5)), "stepIndex 5 is past the last of 1 commands"],
    ["foreign JSON", JSON.stringify({ hello: "world" }), 'at ["format"]'],
  ])("rejects %s with one line naming what is wrong", (_name, text, expected) => {
    const r = decodeCounterexample(text)
    expect(r._tag).toBe("Error")
    if (r._tag !== "Error") return
    expect(r.message).toContain(expected)
    expect(r.message).not.toContain("\n")
  })
})
