import { describe, expect, it } from "vitest"
import { propertyIds } from "../properties/catalogue.ts"
import { counterexamplesJunit, summaryJunit } from "./junit.ts"
import { type JunitOptions, passes, type SummaryScenario, summaryMarkdown } from "./run-summary.ts"

// sriov-ats-no-atc-invalidation expects atc-coherence and dma-isolation; this run found one of
// them and an unexpected interrupt-isolation.
const run: ReadonlyArray<SummaryScenario> = [
  {
    id: "unsafe",
    expected: { violates: ["atc-coherence", "dma-isolation"] },
    asExpected: false,
    violations: [
      { property: "atc-coherence", message: "stale <ATC>", file: "a.json" },
      { property: "interrupt-isolation", message: "m & n", file: "b.json" },
    ],
    elapsedMs: 900,
  },
  { id: "safe", expected: "safe", asExpected: true, violations: [], elapsedMs: 90 },
]
const count = (xml: string, pattern: RegExp) => xml.match(pattern)?.length ?? 0

describe("junit.xml and summary.md agree with the exit code", () => {
  it.each([
    ["failure", 2, 0],
    ["skipped", 1, 1],
  ] as const)("mode %s: an expected violation not found is a %s", (mode, failures, skipped) => {
    const options: JunitOptions = { missedExpected: mode, elapsedMs: 1234 }
    const xml = summaryJunit("t", run, options)
    expect(count(xml, /<testcase /g)).toBe(2 * propertyIds.length)
    expect(count(xml, /<failure /g)).toBe(failures)
    expect(count(xml, /<skipped /g)).toBe(skipped)
    expect(xml).toContain(
      `<testsuite name="t" tests="${2 * propertyIds.length}" failures="${failures}" errors="0" skipped="${skipped}" time="1.234">`,
    )
    expect(xml).toContain('message="unexpected violation: m &amp; n"')
    // A case's time is its scenario's, shared among the properties.
    expect(xml).toContain(`classname="safe" name="atc-coherence" time="${(90 / propertyIds.length / 1000).toFixed(3)}"`)
    // The run fails (exit 1) as junit has a failure: the unexpected violation.
    expect(run.every((s) => passes(s, mode))).toBe(false)
    const md = summaryMarkdown("t", run, options)
    if (mode === "skipped")
      expect(md).toContain("1 unexpected violations in 2 scenarios; 1 of 2 expected violations found")
    else expect(md).toContain("1 of 2 scenarios as expected.")
  })

  it("gives a model defect a failed case of its own", () => {
    const xml = summaryJunit(
      "t",
      [
        {
          id: "s",
          expected: "safe",
          asExpected: false,
          violations: [{ property: "model-defect", message: "x", file: "f" }],
        },
      ],
      { missedExpected: "skipped", elapsedMs: 1 },
    )
    expect(count(xml, /<testcase /g)).toBe(propertyIds.length + 1)
    expect(xml).toContain('name="model-defect"')
    expect(count(xml, /<failure /g)).toBe(1)
  })

  it("renders counterexample files as failed cases with the message, the trace and a time", () => {
    const xml = counterexamplesJunit("r", [
      {
        scenario: "s",
        property: "atc-coherence",
        message: "stale",
        file: "x.json",
        stepIndex: 1,
        trace: ["HostAssignFunction(rid=01:00.1, vm=vm1)", "DeviceDmaRead(rid=01:00.1, iova=0x1000)"],
        expected: true,
        replayMs: 12,
      },
    ])
    expect(xml).toContain('failures="1"')
    expect(xml).toContain('<failure message="stale" type="expected-violation">')
    expect(xml).toContain("#1 DeviceDmaRead(rid=01:00.1, iova=0x1000)  &lt;- VIOLATION")
    expect(xml).toContain('time="0.012"')
  })
})
