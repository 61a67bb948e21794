/**
 * Signals, end to end on `bin/iovcheck.js`: an exploration interrupted by SIGINT stops at once and
 * reports and writes what it completed, exit 130; a verify interrupted by SIGTERM summarizes the
 * scenarios it completed, exit 143. (The fuzz SIGINT test is in fuzz.test.ts.)
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const bin = join(import.meta.dirname, "..", "bin", "iovcheck.js")

/** Spawns the CLI, sends `signal` once it has printed `ready` on stderr (or after `afterMs`), and collects the run. */
const interrupt = (args: ReadonlyArray<string>, signal: NodeJS.Signals, afterMs: number) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; stopMs: number }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args])
    let stdout = ""
    let stderr = ""
    let sentAt = 0
    child.stdout.on("data", (d) => {
      stdout += String(d)
    })
    child.stderr.on("data", (d) => {
      stderr += String(d)
    })
    setTimeout(() => {
      sentAt = performance.now()
      child.kill(signal)
    }, afterMs)
    child.on("exit", (code) => resolve({ code, stdout, stderr, stopMs: performance.now() - sentAt }))
  })

describe("signals", () => {
  it("explore stops on SIGINT, reports 'no violation up to depth K-1' and writes its summary, exit 130", async () => {
    const out = mkdtempSync(join(tmpdir(), "iovcheck-sig-explore-"))
    const r = await interrupt(
      ["explore", "--scenario", "sriov-ats-strict", "--depth", "40", "--out", out],
      "SIGINT",
      1500,
    )
    expect(r.code).toBe(130)
    expect(r.stdout).toMatch(/no violation up to depth \d+ \([\d,]+ distinct states; interrupted at depth \d+\)/)
    expect(r.stderr).toContain("interrupted by SIGINT")
    expect(r.stopMs).toBeLessThan(2000)
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
      interrupted: boolean
      scenarios: Array<{ stoppedBy: string; depthCompleted: number }>
    }
    expect(summary.interrupted).toBe(true)
    expect(summary.scenarios[0]?.stoppedBy).toBe("interrupted")
  })

  it("verify stops between scenarios on SIGTERM and summarizes the completed ones, exit 143", async () => {
    const out = mkdtempSync(join(tmpdir(), "iovcheck-sig-verify-"))
    const r = await interrupt(["verify", "--runs", "400", "--json", "--out", out], "SIGTERM", 1500)
    expect(r.code).toBe(143)
    expect(r.stderr).toContain("interrupted by SIGTERM")
    const doc = JSON.parse(r.stdout) as { interrupted: boolean; scenarios: Array<unknown> }
    expect(doc.interrupted).toBe(true)
    expect(doc.scenarios.length).toBeLessThan(34)
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))).toEqual(doc)
  })
})
