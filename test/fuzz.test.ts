/**
 * `iovcheck fuzz` and `iovcheck merge` end to end: two shards find the expected violations, write
 * findings with reports and a summary; merge deduplicates and keeps every shard's test cases;
 * SIGINT keeps what was found (exit by findings, 0 here); the corpus is replayed first, a damaged
 * corpus file is skipped, and new findings go into it. Bad flags: test/cli-corruption.test.ts.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import { counterexampleFiles } from "../cli/fuzz.ts"
import { propertyIds } from "../properties/catalogue.ts"

const bin = join(import.meta.dirname, "..", "bin", "iovcheck.js")
const run = (...args: Array<string>) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
const scenarios = ["--scenario", "sriov-ats-no-atc-invalidation", "--scenario", "sriov-ats-strict"]

interface Summary {
  shard: { index: number; count: number }
  runs: number
  interrupted: boolean
  findings: Array<{ scenario: string; property: string; file: string; new: boolean; explained: boolean }>
}

describe("fuzz and merge", () => {
  const dir = mkdtempSync(join(tmpdir(), "iovcheck-fuzz-"))

  it("two shards find the expected violations and merge deduplicates them", () => {
    for (const shard of ["1/2", "2/2"]) {
      const r = run(
        "fuzz",
        ...scenarios,
        "--time",
        "6s",
        "--workers",
        "1",
        "--shard",
        shard,
        "--out",
        join(dir, shard[0] ?? "x"),
      )
      expect(r.status).toBe(0)
    }
    const one = JSON.parse(readFileSync(join(dir, "1", "summary.json"), "utf8")) as Summary
    expect(one.shard).toEqual({ index: 1, count: 2 })
    expect(one.findings.map((f) => f.property).sort()).toContain("atc-coherence")
    expect(one.findings.every((f) => f.explained)).toBe(true)
    for (const f of one.findings) {
      expect(existsSync(f.file.replace(/\.json$/, ".html"))).toBe(true)
      expect(existsSync(f.file.replace(/\.json$/, ".md"))).toBe(true)
    }
    expect(existsSync(join(dir, "1", "junit.xml"))).toBe(true)
    const merged = run("merge", join(dir, "1"), join(dir, "2"), "--out", join(dir, "merged"))
    expect(merged.status).toBe(0)
    const doc = JSON.parse(readFileSync(join(dir, "merged", "summary.json"), "utf8")) as {
      findings: Array<{ file: string }>
      duplicates: number
      runs: number
      scenarios: Array<{ id: string }>
    }
    const total =
      counterexampleFiles(join(dir, "1", "findings")).length + counterexampleFiles(join(dir, "2", "findings")).length
    expect(doc.findings.length + doc.duplicates).toBe(total)
    expect(new Set(doc.findings.map((f) => f.file)).size).toBe(doc.findings.length)
    // Every scenario of every shard keeps its test cases, found or not; exit code, junit.xml and
    // summary.md agree: nothing unexpected, so no failure (an expected violation no shard found
    // would be skipped).
    expect(doc.scenarios.map((s) => s.id)).toEqual(["sriov-ats-no-atc-invalidation", "sriov-ats-strict"])
    const junit = readFileSync(join(dir, "merged", "junit.xml"), "utf8")
    expect(junit.match(/<testcase /g)?.length).toBe(2 * propertyIds.length)
    expect(junit).toContain('failures="0"')
    expect(junit).toMatch(/<testsuite [^>]* time="\d+\.\d{3}"/)
    expect(readFileSync(join(dir, "merged", "summary.md"), "utf8")).toContain("0 unexpected violations in 2 scenarios")
    for (const shard of ["1", "2"]) {
      const shardJunit = readFileSync(join(dir, shard, "junit.xml"), "utf8")
      expect(shardJunit).toContain('failures="0"')
      const summary = JSON.parse(readFileSync(join(dir, shard, "summary.json"), "utf8")) as { peakRssMb: number }
      expect(summary.peakRssMb).toBeGreaterThan(0)
    }
  })

  it("SIGINT stops the run, keeps every finding written and writes the summary", async () => {
    const out = join(dir, "interrupted")
    const child = spawn(process.execPath, [bin, "fuzz", ...scenarios, "--time", "10m", "--workers", "2", "--out", out])
    await new Promise((resolve) => setTimeout(resolve, 6000))
    child.kill("SIGINT")
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    expect(code).toBe(0)
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Summary
    expect(summary.interrupted).toBe(true)
    for (const f of summary.findings) expect(existsSync(f.file)).toBe(true)
    expect(summary.findings.length).toBeGreaterThan(0)
  })

  it("replays the corpus first and adds new findings to it; a known finding is not new", () => {
    const corpus = join(dir, "corpus")
    const fuzzInto = (out: string) =>
      run("fuzz", ...scenarios, "--time", "5s", "--workers", "1", "--corpus", corpus, "--out", join(dir, out))
    const first = fuzzInto("c1")
    expect(first.status).toBe(0)
    const kept = counterexampleFiles(corpus).length
    expect(kept).toBeGreaterThan(0)
    // A damaged corpus file (half-written, foreign) is reported and skipped, not fatal; a leftover
    // temporary file of an interrupted atomic write is not read at all.
    const damaged = join(corpus, "sriov-ats-strict", "half-written.json")
    mkdirSync(dirname(damaged), { recursive: true })
    writeFileSync(damaged, '{"format": "iovcheck-counterexample", "formatVer')
    writeFileSync(join(corpus, "sriov-ats-strict", "x.json.123-0.tmp"), "{")
    const second = fuzzInto("c2")
    expect(second.status).toBe(0)
    expect(second.stderr).toContain(`damaged corpus file skipped: ${damaged}: not valid JSON`)
    const summary = JSON.parse(readFileSync(join(dir, "c2", "summary.json"), "utf8")) as Summary & {
      corpus: { replayed: number; regressions: Array<string>; damaged: Array<string> }
    }
    expect(summary.corpus.replayed).toBe(kept)
    expect(summary.corpus.regressions).toEqual([])
    expect(summary.corpus.damaged).toHaveLength(1)
    expect(summary.findings.filter((f) => !f.new).length).toBeGreaterThan(0)
  })
})
