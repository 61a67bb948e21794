import { describe, expect, it } from "vitest"
import { initialState } from "../model/init.ts"
import { scenario, stepsIn } from "../test/helpers.ts"
import { diffState } from "./state-diff.ts"
import { renderTable } from "./table.ts"
import { matchesExpectation } from "./verify-report.ts"

describe("state diff", () => {
  it("names what a step changed, keyed by RID, with IOVAs in hex", () => {
    const s = scenario("sriov-ats-strict")
    const before = stepsIn(s, [{ _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }]).state
    const after = stepsIn(s, [
      { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
    ]).state
    expect(diffState(before, after)).toEqual(['iommu.domains[1].ptes: [] → [{"iova":"0x1000","page":0}]'])
    expect(diffState(initialState(s.topology), before)).toEqual([
      'functions[01:00.1].owner: "host" → "vm1"',
      'iommu.context[01:00.1]: — → {"rid":"01:00.1","kind":"translated","did":1}',
    ])
    expect(diffState(before, before)).toEqual([])
  })
})

describe("table", () => {
  it("pads columns to the widest cell", () => {
    expect(renderTable(["a", "bb"], [["xxx", "y"]])).toBe("a    bb\n---  --\nxxx  y")
  })
})

describe("expectations", () => {
  it("match exactly the listed properties", () => {
    expect(matchesExpectation("safe", [])).toBe(true)
    expect(matchesExpectation(undefined, ["dma-isolation"])).toBe(false)
    expect(
      matchesExpectation({ violates: ["atc-coherence", "dma-isolation"] }, ["dma-isolation", "atc-coherence"]),
    ).toBe(true)
    expect(matchesExpectation({ violates: ["atc-coherence"] }, ["atc-coherence", "dma-isolation"])).toBe(false)
    expect(matchesExpectation({ violates: ["atc-coherence"] }, [])).toBe(false)
  })
})
