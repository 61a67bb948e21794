/**
 * A mutation run: generate the mutants of `model/`, pick the subset asked for, build them in one
 * compiler run, run the oracle on the unmutated model (the baseline: it must find nothing
 * unexpected, and it finds the unsafe scenarios' witnesses), then run every compiled mutant's
 * oracle on `workers` lanes in parallel, each mutant with a time budget.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { createPatch } from "diff"
import { BLIND_SPOTS } from "./blind-spots.ts"
import { buildMutants } from "./build.ts"
import { EQUIVALENT } from "./equivalent.ts"
import { applyMutant, mutantsOf } from "./operators.ts"
import type { Kill, Mutant, MutantResult, OracleBudget, OracleId } from "./report-schema.ts"
import { killRunning, type Lane, type OracleRun, prepareLane, runMutant, runOracleProcess } from "./sandbox.ts"
import { mutatedFiles } from "./scope.ts"

/** Every mutant of the model under `root`, file by file in path order. */
export const generateMutants = (root: string): ReadonlyArray<Mutant> =>
  mutatedFiles(root).flatMap((f) => mutantsOf(f, readFileSync(join(root, f), "utf8")))

/** Which mutants to run: files (substrings of the path) and operators (none = all), then at most `limit`, spread evenly. */
export interface Subset {
  /** Only these mutant ids (the survivors of an earlier report), when given. */
  readonly ids: ReadonlyArray<string> | undefined
  readonly files: ReadonlyArray<string>
  readonly operators: ReadonlyArray<string>
  readonly limit: number | undefined
}

/** The subset as one line for the report, or null for every mutant. */
export const describeSubset = (s: Subset): string | null =>
  s.ids === undefined && s.files.length === 0 && s.operators.length === 0 && s.limit === undefined
    ? null
    : [
        ...(s.ids !== undefined ? [`the ${s.ids.length} survivors of an earlier report`] : []),
        ...(s.files.length > 0 ? [`files ~ ${s.files.join(", ")}`] : []),
        ...(s.operators.length > 0 ? [`operators ${s.operators.join(", ")}`] : []),
        ...(s.limit !== undefined ? [`at most ${s.limit}, spread evenly`] : []),
      ].join("; ")

/** The mutants of `subset`, in order; with a limit, every k-th so the sample spans all files. */
export const selectMutants = (all: ReadonlyArray<Mutant>, subset: Subset): ReadonlyArray<Mutant> => {
  const chosen = all.filter(
    (m) =>
      (subset.ids === undefined || subset.ids.includes(m.id)) &&
      (subset.files.length === 0 || subset.files.some((f) => m.file.includes(f))) &&
      (subset.operators.length === 0 || subset.operators.includes(m.operator)),
  )
  const limit = subset.limit
  if (limit === undefined || limit >= chosen.length) return chosen
  return Array.from({ length: limit }, (_, i) => chosen[Math.floor((i * chosen.length) / limit)] as Mutant)
}

/** The equivalence entries that match no generated mutant (by id and original text). */
export const staleEquivalences = (all: ReadonlyArray<Mutant>): ReadonlyArray<string> =>
  EQUIVALENT.filter((e) => !all.some((m) => m.id === e.id && m.original === e.original)).map((e) => e.id)

/** Options of a run. */
export interface RunOptions {
  readonly root: string
  /**
   * Where the unsafe scenarios' witnesses are kept between runs (`OUT/witnesses.json`): the
   * baseline replays them and searches only for those that no longer hold.
   */
  readonly witnessCache: string
  readonly workers: number
  readonly budget: OracleBudget
  /**
   * Time budget per mutant; default 5 × the baseline's full oracle time, at least 120 s (generous:
   * a timeout counts as a kill, and other jobs on the machine slow a mutant's run down).
   */
  readonly timeoutMs: number | undefined
  /** Keep the work folder (staging build and lanes) for inspection. */
  readonly keep: boolean
  readonly log: (line: string) => void
  /** Whether to stop taking mutants (a signal was received). */
  readonly stopped: () => boolean
}

/** What a run produced. */
export interface RunOutcome {
  readonly results: ReadonlyArray<MutantResult>
  readonly baselineMs: number
  readonly timeoutMs: number
  readonly interrupted: boolean
}

/** The baseline found something on the unmutated model: the oracle cannot judge mutants. */
export class BaselineError extends Error {
  override readonly name = "BaselineError"
}

const diffOf = (root: string, m: Mutant): string => {
  const source = readFileSync(join(root, m.file), "utf8")
  return createPatch(m.file, source, applyMutant(source, m), "", "", { context: 3 })
    .split("\n")
    .filter((l) => !l.startsWith("Index:") && !l.startsWith("===="))
    .join("\n")
}

/** Every oracle that ran, with its number of checks and their time. */
const oraclesRun = (
  run: OracleRun,
): ReadonlyArray<{ readonly oracle: OracleId; readonly checks: number; readonly ms: number }> => {
  if (run._tag !== "Done") return []
  const counts = new Map<OracleId, { checks: number; ms: number }>()
  for (const c of run.result.checks) {
    const n = counts.get(c.oracle) ?? { checks: 0, ms: 0 }
    counts.set(c.oracle, { checks: n.checks + 1, ms: n.ms + c.ms })
  }
  return [...counts.entries()].map(([oracle, n]) => ({ oracle, ...n }))
}

/** The result of a mutant from its oracle run. */
const judge = (root: string, m: Mutant, run: OracleRun, timeoutMs: number): MutantResult => {
  const base = { mutant: m, reason: null, diff: diffOf(root, m), buildMs: 0, oracleMs: run.ms }
  switch (run._tag) {
    case "Timeout":
      return {
        ...base,
        status: "timeout",
        kill: {
          oracle: "timeout",
          scenario: null,
          property: null,
          message: `no verdict within ${Math.round(timeoutMs / 1000)} s`,
        },
        missedBy: [],
        diagnosis: null,
      }
    case "Crash":
      return {
        ...base,
        status: "killed",
        kill: { oracle: "crash", scenario: null, property: null, message: run.message },
        missedBy: [],
        diagnosis: null,
      }
    case "Done": {
      const kill: Kill | undefined = run.result.kills[0]
      if (kill !== undefined) return { ...base, status: "killed", kill, missedBy: [], diagnosis: null }
      return { ...base, status: "survived", kill: null, missedBy: oraclesRun(run), diagnosis: diagnosisOf(m.id) }
    }
  }
}

/** The diagnosis of a survivor in `blind-spots.ts`, or null. */
const diagnosisOf = (id: string): MutantResult["diagnosis"] => {
  const spot = BLIND_SPOTS.find((b) => b.id === id)
  return spot === undefined ? null : { shouldCatch: spot.shouldCatch, diagnosis: spot.diagnosis }
}

/**
 * Judges a previous run's results again with the current lists: a survivor now listed in
 * `equivalent.ts` becomes equivalent, and each survivor takes its current diagnosis. Nothing is
 * run: after diagnosing survivors, the report is brought up to date at no cost.
 */
export const rejudge = (results: ReadonlyArray<MutantResult>): ReadonlyArray<MutantResult> =>
  results.map((r) => {
    if (r.status !== "survived") return r
    const e = EQUIVALENT.find((x) => x.id === r.mutant.id && x.original === r.mutant.original)
    return e === undefined
      ? { ...r, diagnosis: diagnosisOf(r.mutant.id) }
      : { ...r, status: "equivalent", reason: e.reason, missedBy: [], diagnosis: null }
  })

/** Runs the mutants: equivalents are listed, the rest built, baselined and judged. */
export const runMutants = async (mutants: ReadonlyArray<Mutant>, options: RunOptions): Promise<RunOutcome> => {
  const { root, log } = options
  const results: Array<MutantResult> = []
  const toBuild: Array<Mutant> = []
  for (const m of mutants) {
    const e = EQUIVALENT.find((x) => x.id === m.id && x.original === m.original)
    if (e === undefined) toBuild.push(m)
    else
      results.push({
        mutant: m,
        status: "equivalent",
        kill: null,
        reason: e.reason,
        missedBy: [],
        diagnosis: null,
        diff: diffOf(root, m),
        buildMs: 0,
        oracleMs: 0,
      })
  }
  const workDir = mkdtempSync(join(tmpdir(), "iovcheck-mutate-"))
  try {
    log(`building ${toBuild.length} mutants in one compiler run (${workDir})`)
    const build = await buildMutants(root, join(workDir, "staging"), toBuild)
    const buildMs = Math.round(build.elapsedMs / Math.max(1, toBuild.length))
    log(`built in ${Math.round(build.elapsedMs / 1000)} s: ${build.errors.size} do not compile`)
    const lanes: Array<Lane> = Array.from({ length: options.workers }, (_, i) =>
      prepareLane(root, build.staging, workDir, i),
    )
    const witnesses = join(workDir, "witnesses.json")
    log("baseline: the oracle on the unmutated model (and the unsafe scenarios' witnesses)")
    const cache = resolve(options.witnessCache)
    const known = existsSync(cache) ? [cache] : []
    const baseline = await runOracleProcess(
      lanes[0] as Lane,
      ["baseline", JSON.stringify(options.budget), witnesses, ...known],
      24 * 3_600_000,
    )
    if (options.stopped()) return { results, baselineMs: baseline.ms, timeoutMs: 0, interrupted: true }
    if (baseline._tag !== "Done")
      throw new BaselineError(`the baseline oracle did not finish: ${JSON.stringify(baseline)}`)
    if (baseline.result.kills.length > 0)
      throw new BaselineError(
        `the unmutated model fails the oracle, so no mutant can be judged:\n${baseline.result.kills
          .map((k) => `  ${k.oracle} ${k.scenario ?? ""} ${k.property ?? ""}: ${k.message}`)
          .join("\n")}`,
      )
    copyFileSync(witnesses, cache)
    const fullMs = baseline.result.checks.filter((c) => c.oracle !== "unsafe-catalogue").reduce((n, c) => n + c.ms, 0)
    const timeoutMs = options.timeoutMs ?? Math.max(120_000, 5 * fullMs)
    log(
      `baseline clean in ${Math.round(baseline.ms / 1000)} s (a surviving mutant costs about ${Math.round(fullMs / 1000)} s); time budget per mutant ${Math.round(timeoutMs / 1000)} s`,
    )
    const queue = toBuild.map((m, i) => ({ m, i }))
    let done = 0
    const compiled = toBuild.length - build.errors.size
    for (const { m, i } of queue) {
      const error = build.errors.get(i)
      if (error === undefined) continue
      results.push({
        mutant: m,
        status: "not-compiled",
        kill: { oracle: "build", scenario: null, property: null, message: error },
        reason: null,
        missedBy: [],
        diagnosis: null,
        diff: diffOf(root, m),
        buildMs,
        oracleMs: 0,
      })
    }
    const pending = queue.filter(({ i }) => !build.errors.has(i))
    const lane = async (l: Lane): Promise<void> => {
      for (;;) {
        if (options.stopped()) return
        const next = pending.shift()
        if (next === undefined) return
        const run = await runMutant(l, build.staging, next.m, next.i, options.budget, witnesses, timeoutMs)
        if (options.stopped()) return
        const r = { ...judge(root, next.m, run, timeoutMs), buildMs }
        results.push(r)
        done++
        const what =
          r.status === "survived"
            ? "SURVIVED"
            : `${r.status} by ${r.kill?.oracle ?? "?"}${r.kill?.scenario ? ` ${r.kill.scenario}` : ""}${r.kill?.property ? ` ${r.kill.property}` : ""}`
        log(`[${done}/${compiled}] ${next.m.id}: ${what} (${(run.ms / 1000).toFixed(1)} s)`)
      }
    }
    await Promise.all(lanes.map(lane))
    if (options.stopped()) killRunning()
    return { results, baselineMs: baseline.ms, timeoutMs, interrupted: options.stopped() }
  } finally {
    if (options.keep) log(`work folder kept: ${workDir}`)
    else rmSync(workDir, { recursive: true, force: true })
  }
}
