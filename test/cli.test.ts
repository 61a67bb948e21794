/**
 * The CLI end to end, as users and CI pipelines run it: `node bin/iovcheck.js …` on the built
 * package (`npm test` builds before running vitest) for verify and explore; the replays of what
 * they wrote run in-process (`run-cli.ts`, the same code without a process each). Checks exit codes, the `--json` documents,
 * the counterexample files and their replay, and one-line errors for bad input.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { runInProcess } from "./run-cli.ts"

const bin = join(import.meta.dirname, "..", "bin", "iovcheck.js")

const run = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

interface VerifyDoc {
  iovcheck: string
  seed: number
  scenarios: Array<{
    id: string
    expected: unknown
    verdict: string
    asExpected: boolean
    runs: number
    commands: number
    elapsedMs: number
    violations: Array<{
      property: string
      firstFoundMs: number
      shrunkLength: number
      file: string
      foundBy?: "random" | "explore"
    }>
    explored?: { depthCompleted: number; distinctStates: number; stoppedBy: string } | null
  }>
}

describe("iovcheck verify / replay", () => {
  const out = mkdtempSync(join(tmpdir(), "iovcheck-"))
  let doc: VerifyDoc
  let code: number | null

  beforeAll(() => {
    const r = run(
      "verify",
      "--scenario",
      "sriov-ats-atc-before-iotlb",
      "--scenario",
      "sriov-ats-no-atc-invalidation",
      "--scenario",
      "sriov-ats-strict",
      "--explore-states",
      "20000",
      "--json",
      "--out",
      out,
    )
    code = r.code
    doc = JSON.parse(r.stdout) as VerifyDoc
  })

  it("reports the SR-IOV ATS scenarios as expected, with exit 0", () => {
    expect(code).toBe(0)
    expect(doc.scenarios.map((s) => [s.id, s.verdict, s.asExpected])).toEqual([
      ["sriov-ats-atc-before-iotlb", "unsafe", true],
      ["sriov-ats-no-atc-invalidation", "unsafe", true],
      ["sriov-ats-strict", "safe", true],
    ])
    expect(doc.seed).toBe(1)
    for (const s of doc.scenarios)
      expect(Object.keys(s).sort()).toEqual(
        ["asExpected", "commands", "elapsedMs", "expected", "explored", "id", "runs", "verdict", "violations"].sort(),
      )
  })

  it("writes one counterexample file per violated property, each replaying with exit 1 and the same property", async () => {
    const files = doc.scenarios.flatMap((s) => s.violations.map((v) => ({ ...v, scenario: s.id })))
    expect(files.length).toBe(4)
    for (const v of files) {
      expect(v.file).toBe(join(out, v.scenario, `${v.property}.json`))
      const r = await runInProcess("replay", v.file, "--json")
      expect(r.code).toBe(1)
      const replayed = JSON.parse(r.stdout) as { verdict: string; recorded: { property: string } }
      expect(replayed.verdict).toBe("reproduced")
      expect(replayed.recorded.property).toBe(v.property)
    }
    expect(readdirSync(out).sort()).toEqual([
      "junit.xml",
      "sriov-ats-atc-before-iotlb",
      "sriov-ats-no-atc-invalidation",
      "summary.json",
      "summary.md",
    ])
    expect(readdirSync(join(out, "sriov-ats-no-atc-invalidation")).sort()).toEqual([
      "atc-coherence.html",
      "atc-coherence.json",
      "atc-coherence.md",
      "dma-isolation.html",
      "dma-isolation.json",
      "dma-isolation.md",
    ])
  })

  it("explores what the random search did not find: a shortest trace, written and replayed; a small state space to its end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iovcheck-vx-"))
    // One random trace misses the deferred flush's bug (7 commands); the exploration finds it.
    const r = run(
      "verify",
      "--scenario",
      "flush-deferred",
      "--scenario",
      "adversary-rmrr-refuse",
      "--runs",
      "1",
      "--json",
      "--out",
      dir,
    )
    expect(r.code).toBe(0)
    const [unsafe, safe] = (JSON.parse(r.stdout) as VerifyDoc).scenarios as [
      VerifyDoc["scenarios"][number],
      VerifyDoc["scenarios"][number],
    ]
    expect(unsafe.violations.map((v) => [v.property, v.foundBy, v.shrunkLength])).toEqual([
      ["dma-isolation", "explore", 7],
    ])
    expect(unsafe.explored?.stoppedBy).toBe("exhausted")
    const replayed = await runInProcess("replay", unsafe.violations[0]?.file ?? "", "--json")
    expect(replayed.code).toBe(1)
    expect((JSON.parse(replayed.stdout) as { verdict: string }).verdict).toBe("reproduced")
    expect([safe.verdict, safe.explored?.stoppedBy]).toEqual(["safe", "exhausted"])
    const off = run(
      "verify",
      "--scenario",
      "adversary-rmrr-refuse",
      "--runs",
      "1",
      "--explore-states",
      "0",
      "--json",
      "--out",
      dir,
    )
    expect((JSON.parse(off.stdout) as VerifyDoc).scenarios[0]?.explored).toBeNull()
  })

  it("prints each replayed step with its events and state changes, then the violation", async () => {
    const r = await runInProcess("replay", join(out, "sriov-ats-no-atc-invalidation", "atc-coherence.json"))
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^#0 host {2}Host[A-Za-z]+\(/m)
    expect(r.stdout).toMatch(/event {2}Translation Completion to 01:00\.\d/)
    expect(r.stdout).toMatch(/state {2}memory\[\d\]: "vm\d" → "free"/)
    expect(r.stdout).toContain("VIOLATION of atc-coherence")
    expect(r.stdout).toContain("reproduced: atc-coherence violated")
  })

  it("exits 0 when a trace runs clean under a fixed design", async () => {
    const path = join(out, "sriov-ats-no-atc-invalidation", "atc-coherence.json")
    // A version 2 file runs its recorded programs: the fix is stated in the unmap program it records.
    const fixed = JSON.parse(readFileSync(path, "utf8")) as { programs: { unmap: Array<unknown> } }
    fixed.programs.unmap = ["clear-pte", "invalidate-iotlb", "invalidate-atc", "wait-atc", "free-page"]
    const fixedPath = join(out, "fixed.json")
    writeFileSync(fixedPath, JSON.stringify(fixed))
    const r = await runInProcess("replay", fixedPath)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("clean: the trace runs without violation")
  })

  it.each([
    ["truncated JSON", (t: string) => t.slice(0, 100), "not valid JSON: line"],
    ["wrong field type", (t: string) => t.replace(/"stepIndex": \d+/, '"stepIndex": "three"'), '["stepIndex"]'],
    ["unknown format version", (t: string) => t.replace('"formatVersion": 2', '"formatVersion": 9'), "formatVersion"],
  ])("a damaged file (%s) gives exit 2 and one line", async (_name, damage, fragment) => {
    const good = readFileSync(join(out, "sriov-ats-no-atc-invalidation", "atc-coherence.json"), "utf8")
    const path = join(out, `damaged-${_name.replaceAll(" ", "-")}.json`)
    writeFileSync(path, damage(good))
    const r = await runInProcess("replay", path)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toContain(fragment)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
  })
})

// Bad usage and bad input in bulk: test/cli-corruption.test.ts.
describe("scenario files", () => {
  it("verify --scenario accepts a user's scenario file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iovcheck-sc-"))
    const good = JSON.parse(readFileSync(join(import.meta.dirname, "..", "scenarios", "sriov-ats-strict.json"), "utf8"))
    const mine = join(dir, "mine.json")
    writeFileSync(mine, JSON.stringify({ ...good, id: "my-design", expected: undefined }))
    const ok = await runInProcess(
      "verify",
      "--scenario",
      mine,
      "--runs",
      "50",
      "--explore-states",
      "2000",
      "--json",
      "--out",
      dir,
    )
    expect(ok.code).toBe(0)
    expect((JSON.parse(ok.stdout) as VerifyDoc).scenarios[0]?.expected).toBeNull()
  })

  it("scenarios --json lists the catalogue", async () => {
    const r = await runInProcess("scenarios", "--json")
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout) as { scenarios: Array<{ id: string }> }
    expect(doc.scenarios.map((s) => s.id)).toContain("sriov-ats-strict")
  })
})

describe("iovcheck explore", () => {
  it("reports shortest counterexamples that replay, and bounded no-violation statements, as JSON", async () => {
    const out = mkdtempSync(join(tmpdir(), "iovcheck-explore-"))
    const r = run(
      "explore",
      "--scenario",
      "flush-range-first-page",
      "--scenario",
      "flush-range-whole-mapping",
      "--depth",
      "9",
      "--json",
      "--out",
      out,
    )
    expect(r.code).toBe(0)
    const doc = JSON.parse(r.stdout) as {
      scenarios: Array<{
        id: string
        depthCompleted: number
        distinctStates: number
        transitions: number
        statesPerSecond: number
        verdict: string
        statement: string
        violations: Array<{ property: string; length: number; file: string }>
      }>
    }
    const [unsafe, safe] = doc.scenarios
    expect(unsafe?.verdict).toBe("unsafe")
    expect(unsafe?.violations.map((v) => [v.property, v.length])).toEqual([
      ["iotlb-coherence", 8],
      ["dma-isolation", 9],
    ])
    for (const v of unsafe?.violations ?? []) {
      const replayed = await runInProcess("replay", v.file, "--json")
      expect(replayed.code).toBe(1)
      expect((JSON.parse(replayed.stdout) as { verdict: string }).verdict).toBe("reproduced")
    }
    expect(safe?.verdict).toBe("no-violation")
    expect(safe?.depthCompleted).toBe(9)
    expect(safe?.statement).toBe(
      `no violation up to depth 9 (${safe?.distinctStates.toLocaleString("en-US")} distinct states)`,
    )
    expect(safe?.transitions).toBeGreaterThan(safe?.distinctStates ?? 0)
  })

  it("exits 1 when the depth bound is too shallow to reach an expected violation", () => {
    const out = mkdtempSync(join(tmpdir(), "iovcheck-explore-"))
    const r = run("explore", "--scenario", "sriov-ats-no-atc-invalidation", "--depth", "3", "--out", out)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain("no violation up to depth 3")
    // Its own summary, in its own folder; the missed expected violations fail its junit.xml.
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).interrupted).toBe(false)
    expect(readFileSync(join(out, "junit.xml"), "utf8")).toContain('failures="2"')
  })

  it("--symmetry: the same verdict and depth in fewer distinct states, with the reduction recorded", () => {
    type Doc = {
      scenarios: Array<{ depthCompleted: number; distinctStates: number; verdict: string; reductions: Array<string> }>
    }
    const explored = (...flags: Array<string>) => {
      const out = mkdtempSync(join(tmpdir(), "iovcheck-explore-"))
      const r = run("explore", "--scenario", "sriov-ats-strict", "--depth", "4", "--json", "--out", out, ...flags)
      expect(r.code).toBe(0)
      return (JSON.parse(r.stdout) as Doc).scenarios[0]
    }
    const plain = explored()
    const reduced = explored("--symmetry")
    expect([plain?.reductions, reduced?.reductions]).toEqual([[], ["symmetry"]])
    expect([reduced?.verdict, reduced?.depthCompleted]).toEqual([plain?.verdict, plain?.depthCompleted])
    expect(reduced?.distinctStates).toBeLessThan(plain?.distinctStates ?? 0)
  })
})
