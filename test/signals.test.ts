/**
 * Signals, end to end on `bin/iovcheck.js`: an exploration interrupted by SIGINT stops and reports
 * and writes what it completed, exit 130; a verify interrupted by SIGTERM summarizes the scenarios
 * it completed, exit 143. The signal is sent once the command has said on stderr that its work
 * began (its handlers are in place), so the tests do not depend on the machine's speed. (The fuzz
 * SIGINT test is in fuzz.test.ts.)
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const bin = join(import.meta.dirname, "..", "bin", "iovcheck.js")

/** Spawns the CLI, sends `signal` once stderr matches `ready`, and collects the run. */
const interrupt = (args: ReadonlyArray<string>, signal: NodeJS.Signals, ready: RegExp) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args])
    let stdout = ""
    let stderr = ""
    let sent = false
    child.stdout.on("data", (d) => {
      stdout += String(d)
    })
    child.stderr.on("data", (d) => {
      stderr += String(d)
      if (!sent && ready.test(stderr)) {
        sent = true
        child.kill(signal)
      }
    })
    child.on("exit", (code) => resolve({ code, stdout, stderr }))
  })

describe("signals", () => {
  it("explore stops on SIGINT, reports 'no violation up to depth K-1' and writes its summary, exit 130", async () => {
    const out = mkdtempSync(join(tmpdir(), "iovcheck-sig-explore-"))
    const r = await interrupt(
      ["explore", "--scenario", "sriov-ats-strict", "--depth", "40", "--out", out],
      "SIGINT",
      /^exploring /m,
    )
    expect(r.code).toBe(130)
    expect(r.stdout).toMatch(/no violation up to depth \d+ \([\d,]+ distinct states; interrupted at depth \d+\)/)
    expect(r.stderr).toContain("interrupted by SIGINT")
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
      interrupted: boolean
      scenarios: Array<{ stoppedBy: string; depthCompleted: number }>
    }
    expect(summary.interrupted).toBe(true)
    expect(summary.scenarios[0]?.stoppedBy).toBe("interrupted")
    expect(summary.scenarios[0]?.depthCompleted).toBeLessThan(40)
  })

  it("verify stops between scenarios on SIGTERM and summarizes the completed ones, exit 143", async () => {
    const out = mkdtempSync(join(tmpdir(), "iovcheck-sig-verify-"))
    // Sent after the first scenario's progress line: the run stops before the whole catalogue.
    const r = await interrupt(
      ["verify", "--runs", "100", "--explore-states", "1000", "--out", out],
      "SIGTERM",
      /^[a-z0-9-]+: (safe|unsafe) \(/m,
    )
    expect(r.code).toBe(143)
    const [, done, total] = /interrupted by SIGTERM after (\d+) of (\d+) scenarios/.exec(r.stderr) ?? []
    expect(Number(done)).toBeGreaterThanOrEqual(1)
    expect(Number(done)).toBeLessThan(Number(total))
    const doc = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as {
      interrupted: boolean
      scenarios: Array<{ id: string }>
    }
    expect(doc.interrupted).toBe(true)
    expect(doc.scenarios).toHaveLength(Number(done))
  })
})
