/**
 * A lane: one sandbox folder in which the oracle runs one mutant at a time, in its own process
 * (one core per lane). It holds the unmutated build (`dist/` of the staging folder, without the
 * mutants' copies), the catalogue's scenario files and a link to `node_modules`; running a mutant
 * copies its emitted file over the original's, runs the oracle process with a time budget, and
 * puts the original back.
 *
 * @module
 */
import { spawn } from "node:child_process"
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Schema } from "effect"
import { copyPath, emittedPath } from "./build.ts"
import type { OracleResult } from "./oracle.ts"
import { Kill, type Mutant, type OracleBudget, OracleId } from "./report-schema.ts"

/** A sandbox folder of the oracle. */
export interface Lane {
  readonly index: number
  readonly dir: string
}

/** Creates lane `index` under `workDir` from the staging build. */
export const prepareLane = (root: string, staging: string, workDir: string, index: number): Lane => {
  const dir = join(workDir, `lane-${index}`)
  mkdirSync(join(dir, "scenarios"), { recursive: true })
  cpSync(join(staging, "dist"), join(dir, "dist"), {
    recursive: true,
    filter: (src) => !src.includes(".mutant-"),
  })
  cpSync(join(root, "package.json"), join(dir, "package.json"))
  for (const f of readdirSync(join(staging, "scenarios")).filter((x) => x.endsWith(".json")))
    cpSync(join(staging, "scenarios", f), join(dir, "scenarios", f))
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"))
  return { index, dir }
}

/** What an oracle process gave: its result, or a timeout, or a crash with its last output. */
export type OracleRun =
  | { readonly _tag: "Done"; readonly result: OracleResult; readonly ms: number }
  | { readonly _tag: "Timeout"; readonly ms: number }
  | { readonly _tag: "Crash"; readonly message: string; readonly ms: number }

/** The running oracle processes, so a signal can end them. */
const running = new Set<ReturnType<typeof spawn>>()

/** Ends every oracle process still running (on SIGINT/SIGTERM). */
export const killRunning = (): void => {
  for (const child of running) child.kill("SIGKILL")
}

const OracleResultJson = Schema.fromJsonString(
  Schema.Struct({
    kills: Schema.Array(Kill),
    checks: Schema.Array(
      Schema.Struct({ oracle: OracleId, scenario: Schema.String, ms: Schema.Number, cpuMs: Schema.Number }),
    ),
    elapsedMs: Schema.Number,
  }),
)

/** Runs `dist/mutation/oracle-main.js ARGS` in the lane with a time budget. */
export const runOracleProcess = (lane: Lane, args: ReadonlyArray<string>, timeoutMs: number): Promise<OracleRun> =>
  new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, [join("dist", "mutation", "oracle-main.js"), ...args], {
      cwd: lane.dir,
      stdio: ["ignore", "pipe", "pipe"],
    })
    running.add(child)
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (c: Buffer) => out.push(c))
    child.stderr.on("data", (c: Buffer) => err.push(c))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      const ms = Math.round(performance.now() - started)
      if (timedOut) return resolve({ _tag: "Timeout", ms })
      const text = Buffer.concat(out).toString("utf8").trim()
      try {
        const result: OracleResult = Schema.decodeUnknownSync(OracleResultJson)(text.split("\n").at(-1) ?? "")
        resolve({ _tag: "Done", result, ms })
      } catch {
        const stderr = Buffer.concat(err).toString("utf8").trim().split("\n")
        const message = stderr.find((l) => /Error|error/.test(l)) ?? stderr.at(-1) ?? ""
        resolve({ _tag: "Crash", message: `exit ${code ?? signal}: ${message}`.slice(0, 500), ms })
      }
    })
  })

/**
 * Runs the oracle on mutant `index` (its copy's emitted file in place of the original's), then
 * restores the original.
 */
export const runMutant = async (
  lane: Lane,
  staging: string,
  mutant: Mutant,
  index: number,
  budget: OracleBudget,
  witnesses: string,
  timeoutMs: number,
): Promise<OracleRun> => {
  const target = join(lane.dir, emittedPath(mutant.file))
  const original = readFileSync(target)
  writeFileSync(target, readFileSync(join(staging, emittedPath(copyPath(mutant.file, index)))))
  try {
    return await runOracleProcess(lane, ["mutant", JSON.stringify(budget), witnesses], timeoutMs)
  } finally {
    writeFileSync(target, original)
  }
}
