import { describe, expect, it } from "vitest"
import { initialState } from "../model/init.ts"
import { scenario, stepsIn } from "../test/helpers.ts"
import { diffState } from "./state-diff.ts"
import { renderTable } from "./table.ts"
import { matchesExpectation } from "./verify-report.ts"

describe("state diff", () => {
  it("names what a step changed, keyed by RID or VM, with IOVAs in hex", () => {
    const s = scenario("sriov-ats-strict")
    const before = stepsIn(s, [{ _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }]).state
    const after = stepsIn(s, [
      { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
    ]).state
    expect(diffState(before, after)).toEqual([
      'iommu.domains[vm1].ptes: [] → [{"iova":"0x1000","page":0,"base":"0x1000"}]',
    ])
    expect(diffState(initialState(s.topology), before)).toEqual([
      'functions[01:00.1].owner: "host" → "vm1"',
      'iommu.context[01:00.1]: — → {"rid":"01:00.1","kind":"translated","did":1,"ats":true}',
      "iommu.domains[vm1].did: — → 1",
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

describe("counterexample and run reports", () => {
  it("render the trace as a table and as self-contained HTML", async () => {
    const { counterexampleMarkdown } = await import("./counterexample-report.ts")
    const { counterexampleHtml } = await import("./counterexample-html.ts")
    const { replay } = await import("../drivers/replay.ts")
    const s = scenario("sriov-ats-no-atc-invalidation")
    const file = {
      format: "iovcheck-counterexample" as const,
      formatVersion: 1 as const,
      iovcheckVersion: "0.1.0",
      scenario: s,
      driver: "explore" as const,
      property: "atc-coherence",
      stepIndex: 5,
      message: "m",
      commands: [
        { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
        { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
        { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 0x1000 },
        { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 },
        { _tag: "HostAdvance", pid: "unmap:vm1:0x1000" },
        { _tag: "HostAdvance", pid: "unmap:vm1:0x1000" },
      ] as const,
    }
    const result = replay(file)
    const markdown = counterexampleMarkdown(file, result)
    expect(markdown).toContain("| # | actor | command | outcome | events | state changed |")
    expect(markdown).toContain("**VIOLATION** atc-coherence")
    const html = counterexampleHtml(file, result)
    expect(html).toContain('<section id="sequence">')
    expect(html).not.toMatch(/src=|href="(?!#)/)
    expect(html).toContain("Outside an invalidation still in flight")
  })
})
