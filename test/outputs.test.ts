/**
 * What the commands write: the output folder is checked before any work, and every file is written
 * atomically, so a process killed mid-write leaves the old file or the new one, never half of one.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { prepareOutDir, writeFileAtomic } from "../cli/outputs.ts"

const dir = mkdtempSync(join(tmpdir(), "iovcheck-outputs-"))

describe("output folder", () => {
  it("is created with its parents, and left with nothing in it", () => {
    const out = join(dir, "a", "b", "c")
    expect(Exit.isSuccess(Effect.runSyncExit(prepareOutDir(out)))).toBe(true)
    expect(readdirSync(out)).toEqual([])
  })

  it.each([
    ["under a file", "/etc/passwd/x", "/etc/passwd is a file, not a folder"],
    ["under /proc (Node's recursive mkdir would loop)", "/proc/x/y", "cannot create /proc/x"],
    ["a file", "/etc/passwd", "/etc/passwd is a file, not a folder"],
  ])("is refused %s with one line", (_name, out, reason) => {
    const exit = Effect.runSyncExit(prepareOutDir(out))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain(reason)
  })
})

describe("atomic writes", () => {
  it("replace the file whole and leave no temporary file", () => {
    const path = join(dir, "summary.json")
    writeFileAtomic(path, "old")
    writeFileAtomic(path, "new")
    expect(readFileSync(path, "utf8")).toBe("new")
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
  })

  it("keep the old file and remove the temporary one when the write fails", () => {
    const target = join(dir, "taken")
    mkdirSync(target)
    writeFileSync(join(target, "keep"), "x")
    expect(() => writeFileAtomic(target, "new")).toThrow()
    expect(readFileSync(join(target, "keep"), "utf8")).toBe("x")
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
  })

  it("leave a whole JSON document when the writer is killed with SIGKILL mid-stream", async () => {
    const outputs = join(import.meta.dirname, "..", "dist", "cli", "outputs.js")
    {
      const path = join(dir, "killed.json")
      // Writes 2 MB documents over and over; killed as soon as the first one is in place, so
      // mid-way through a later one.
      const writer = spawn(process.execPath, [
        "--input-type=module",
        "-e",
        `import { writeFileAtomic } from ${JSON.stringify(outputs)}
         const big = JSON.stringify({ findings: Array.from({ length: 20000 }, (_, i) => ({ i, message: "x".repeat(80) })) })
         for (;;) writeFileAtomic(${JSON.stringify(path)}, big)`,
      ])
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (!existsSync(path)) return
          clearInterval(poll)
          writer.kill("SIGKILL")
          resolve()
        }, 5)
      })
      await new Promise((resolve) => writer.on("exit", resolve))
      expect(() => JSON.parse(readFileSync(path, "utf8"))).not.toThrow()
    }
  })
})
