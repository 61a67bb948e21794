/**
 * `iovcheck fuzz` and `iovcheck merge` end to end: two shards find the expected violations, write
 * findings with reports and a summary; merge deduplicates; SIGINT keeps what was found; the corpus
 * is replayed first and new findings go into it.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { counterexampleFiles } from "../cli/fuzz.ts"

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
    }
    const total =
      counterexampleFiles(join(dir, "1", "findings")).length + counterexampleFiles(join(dir, "2", "findings")).length
    expect(doc.findings.length + doc.duplicates).toBe(total)
    expect(new Set(doc.findings.map((f) => f.file)).size).toBe(doc.findings.length)
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
    const second = fuzzInto("c2")
    expect(second.status).toBe(0)
    const summary = JSON.parse(readFileSync(join(dir, "c2", "summary.json"), "utf8")) as Summary & {
      corpus: { replayed: number; regressions: Array<string> }
    }
    expect(summary.corpus).toEqual({ replayed: kept, regressions: [] })
    expect(summary.findings.filter((f) => !f.new).length).toBeGreaterThan(0)
  })

  it("rejects a bad shard or duration in one line", () => {
    for (const args of [
      ["--shard", "3/2"],
      ["--time", "soon"],
    ]) {
      const r = run("fuzz", ...args)
      expect(r.status).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
    }
  })
})
