/**
 * Building the mutants: one compiler run for all of them. Each mutant becomes a copy of its file
 * beside the original (`unmap.ts` → `unmap.mutant-17.ts`, the same imports, one edit), and one
 * `tsc` program holds the oracle and every copy: the shared part (the model, Effect's types) is
 * checked once, each copy's errors are its own, and every copy is emitted to JavaScript. Running a
 * mutant is then copying its emitted file over the original's in a sandbox (`sandbox.ts`).
 *
 * The check is the project's (`tsconfig.json`) but for `noUnusedLocals`/`noUnusedParameters`: a
 * dropped guard may leave a variable or an import unused, which is style, not a broken program.
 * A copy has no importers, so a mutant that changes an inferred exported type is checked in its
 * own file only (the operators edit bodies, not declarations).
 *
 * @module
 */
import { spawn } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { applyMutant } from "./operators.ts"
import type { Mutant } from "./report-schema.ts"

/** The source folders the oracle's program needs (its imports stay within them). */
export const SOURCE_DIRS: ReadonlyArray<string> = [
  "model",
  "properties",
  "drivers",
  "scenarios",
  "shrinkers",
  "reports",
  "counterexamples",
  "mutation",
]

/** Where a mutant's copy lives: `model/host/unmap.ts`, 17 → `model/host/unmap.mutant-17.ts`. */
export const copyPath = (file: string, index: number): string =>
  join(dirname(file), `${basename(file, ".ts")}.mutant-${index}.ts`)

/** The emitted JavaScript of a source file: `model/host/unmap.ts` → `dist/model/host/unmap.js`. */
export const emittedPath = (file: string): string => join("dist", file.replace(/\.ts$/, ".js"))

/** The outcome of the build: the staging folder and each mutant's first compiler error, by index. */
export interface BuildResult {
  /** The staging copy of the sources, with `dist/` emitted. */
  readonly staging: string
  /** The first compiler error of each mutant that does not compile, by its index in the list built. */
  readonly errors: ReadonlyMap<number, string>
  readonly elapsedMs: number
}

/** Runs a process to its end, collecting its output. */
export const runProcess = (
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
): Promise<{ readonly code: number | null; readonly output: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] })
    const chunks: Array<Buffer> = []
    child.stdout.on("data", (c: Buffer) => chunks.push(c))
    child.stderr.on("data", (c: Buffer) => chunks.push(c))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output: Buffer.concat(chunks).toString("utf8") }))
  })

/** A diagnostic line of `tsc --pretty false`: `path(line,col): error TSnnnn: message`. */
const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\): error (TS\d+: .*)$/

/**
 * Copies the sources of `root` to `staging`, writes every mutant's copy, and compiles the oracle
 * with all copies in one `tsc` run (single-threaded: one core). Throws when the unmutated sources
 * do not compile.
 */
export const buildMutants = async (
  root: string,
  staging: string,
  mutants: ReadonlyArray<Mutant>,
): Promise<BuildResult> => {
  const started = performance.now()
  mkdirSync(staging, { recursive: true })
  for (const dir of SOURCE_DIRS)
    cpSync(join(root, dir), join(staging, dir), {
      recursive: true,
      filter: (src) => !src.endsWith(".test.ts") && !src.includes(".mutant-"),
    })
  for (const f of ["package.json", "tsconfig.json"]) cpSync(join(root, f), join(staging, f))
  if (!existsSync(join(staging, "node_modules"))) symlinkSync(join(root, "node_modules"), join(staging, "node_modules"))
  const copies = mutants.map((m, i) => {
    const path = copyPath(m.file, i)
    writeFileSync(join(staging, path), applyMutant(readFileSync(join(root, m.file), "utf8"), m))
    return path
  })
  writeFileSync(
    join(staging, "tsconfig.mutants.json"),
    JSON.stringify({
      extends: "./tsconfig.json",
      compilerOptions: {
        noEmit: false,
        outDir: "dist",
        rootDir: ".",
        noUnusedLocals: false,
        noUnusedParameters: false,
      },
      include: [],
      files: ["mutation/oracle-main.ts", ...copies],
    }),
  )
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
  const { output } = await runProcess(
    process.execPath,
    [tsc, "-p", "tsconfig.mutants.json", "--pretty", "false", "--singleThreaded"],
    staging,
  )
  const byCopy = new Map(copies.map((c, i) => [c, i]))
  const errors = new Map<number, string>()
  const broken: Array<string> = []
  for (const line of output.split("\n")) {
    const d = DIAGNOSTIC.exec(line.trim())
    if (d === null) continue
    const [, file = "", row, col, message = ""] = d
    const index = byCopy.get(file)
    if (index === undefined) broken.push(line.trim())
    else if (!errors.has(index)) errors.set(index, `${(mutants[index] as Mutant).file}(${row},${col}): ${message}`)
  }
  if (broken.length > 0) throw new Error(`the unmutated sources do not compile:\n${broken.slice(0, 5).join("\n")}`)
  if (!existsSync(join(staging, emittedPath("mutation/oracle-main.ts"))))
    throw new Error(`tsc emitted nothing:\n${output.slice(0, 2000)}`)
  return { staging, errors, elapsedMs: performance.now() - started }
}
