/**
 * `npm run bench`: the figures users compare, in one run on one machine (issue 9), printed as
 * Markdown tables and written to `OUT/bench-results.json` (default OUT: `bench-out`). Timings are
 * tinybench medians (p50) with min and max over several repetitions.
 *
 * 1. Random driver throughput per scenario family, property checks included, against fast-check's
 *    own `fc.modelRun` on a trivial counter model (the framework ceiling): in a short run (V8 still
 *    compiling, what a `verify` of one scenario sees) and in the steady state of a long one (`fuzz`).
 * 2. Where a random trace's time goes: generation, `step`, property checks, shrinking.
 * 3. Explorer throughput: 2PC with 7 resource managers against a plain-JS BFS of the same model;
 *    the largest PASID/PRI scenario and a nested one on one thread and on the parallel explorer's
 *    two; memory per stored state.
 * 4. Time to first counterexample per unsafe catalogue scenario: median over 10 seeds; shrink time.
 * 5. Fuzz scaling: commands per second with 1 and with 2 worker threads, cold (JIT warm-up) and steady.
 * 6. Symmetry reduction: distinct states and time to one depth with and without it.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import fc from "fast-check"
import { Bench } from "tinybench"
import { type ExploreResult, explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel, scenarioModelSpec } from "../drivers/exhaustive/iovcheck-model.ts"
import { ExplorerPool } from "../drivers/exhaustive/parallel-bfs.ts"
import { twoPhaseCommit } from "../drivers/exhaustive/two-phase-commit.ts"
import { fromChoices, search } from "../drivers/random.ts"
import { runTrace } from "../drivers/run-trace.ts"
import type { Command } from "../model/command.ts"
import { initialState } from "../model/init.ts"
import { properties } from "../properties/catalogue.ts"
import { renderTable } from "../reports/table.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { type Scenario, scenarioContext } from "../scenarios/scenario.ts"
import { plainTwoPhaseBfs } from "./two-phase-commit-plain.ts"

const out = process.argv.includes("--out")
  ? (process.argv[process.argv.indexOf("--out") + 1] ?? "bench-out")
  : "bench-out"
const now = () => performance.now()
const scenarios = catalogue()
const byId = (id: string): Scenario => scenarios.find((s) => s.id === id) as Scenario
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits
const fmt = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 })
const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2
}

/**
 * Runs `work` (returning a count) under tinybench; gives count per second at the median, min and max
 * latency. `warmupIterations` runs first, unmeasured (1: the figure of a short run, V8 still
 * compiling; more: the steady state of a long one).
 */
const rate = async (name: string, work: () => number, iterations = 5, warmupIterations = 1) => {
  let count = 0
  const bench = new Bench({ iterations, time: 0, warmupIterations, warmupTime: 0 })
  bench.add(name, () => {
    count = work()
  })
  await bench.run()
  const latency = bench.tasks[0]?.result
  const stats = latency !== undefined && "latency" in latency ? latency.latency : undefined
  const p50 = stats?.p50 ?? Number.NaN
  return {
    perSecond: round((count / p50) * 1000),
    minPerSecond: round((count / (stats?.max ?? p50)) * 1000),
    maxPerSecond: round((count / (stats?.min ?? p50)) * 1000),
    count,
    medianMs: round(p50, 1),
  }
}

const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, date: new Date().toISOString() },
}

// 1. Random driver throughput
const families = [
  ["foundation (SR-IOV ATS)", "sriov-ats-strict"],
  ["interrupts (SIOV/IMS)", "siov-ims-host-managed"],
  ["PASID/PRI", "vf-pasid-emulated-iommu-enforced"],
  ["TDISP", "tdisp-flip-by-rebind"],
  ["nesting", "nested-amd-forwarded-atc"],
] as const
/** Warm-up runs before a steady-state figure: by then V8 has compiled the model (about 30 measured). */
const STEADY_WARMUP = 30
const throughput: Array<Record<string, unknown>> = []
for (const [family, id] of families) {
  const work = () => search(byId(id), { runs: 200, seed: 7, maxSteps: 100, properties, now }).commands
  const r = await rate(family, work)
  const steady = await rate(family, work, 10, STEADY_WARMUP)
  throughput.push({
    family,
    scenario: id,
    commandsPerSecond: r.perSecond,
    min: r.minPerSecond,
    max: r.maxPerSecond,
    steady: { commandsPerSecond: steady.perSecond, min: steady.minPerSecond, max: steady.maxPerSecond },
  })
}
const counterWork = () => {
  let executed = 0
  class Inc implements fc.Command<{ n: number }, { n: number }> {
    check = () => true
    run(m: { n: number }, r: { n: number }) {
      m.n++
      r.n++
      executed++
    }
    toString = () => "inc"
  }
  fc.assert(
    fc.property(fc.commands([fc.constant(new Inc())], { size: "max", maxCommands: 100 }), (cmds) =>
      fc.modelRun(() => ({ model: { n: 0 }, real: { n: 0 } }), cmds),
    ),
    { numRuns: 200, seed: 7 },
  )
  return executed
}
const counter = await rate("fc.modelRun counter", counterWork)
const counterSteady = await rate("fc.modelRun counter", counterWork, 10, STEADY_WARMUP)
results.randomDriverThroughput = {
  families: throughput,
  fastCheckCeiling: counter.perSecond,
  steadyFastCheckCeiling: counterSteady.perSecond,
}
const steadyOf = (t: Record<string, unknown>) => (t.steady as { commandsPerSecond: number }).commandsPerSecond
const share = (x: number, ceiling: number) => `${round((x / ceiling) * 100, 1)}%`
console.log(
  `\n## 1. Random driver throughput (commands/s, one core, properties checked; short run: 1 warm-up run; steady: after ${STEADY_WARMUP})\n`,
)
console.log(
  renderTable(
    ["family", "scenario", "short run (median)", "min", "max", "of ceiling", "steady (median)", "of ceiling (steady)"],
    [
      ...throughput.map((t) => [
        String(t.family),
        String(t.scenario),
        fmt(Number(t.commandsPerSecond)),
        fmt(Number(t.min)),
        fmt(Number(t.max)),
        share(Number(t.commandsPerSecond), counter.perSecond),
        fmt(steadyOf(t)),
        share(steadyOf(t), counterSteady.perSecond),
      ]),
      [
        "fast-check ceiling",
        "fc.modelRun, counter model",
        fmt(counter.perSecond),
        fmt(counter.minPerSecond),
        fmt(counter.maxPerSecond),
        "100%",
        fmt(counterSteady.perSecond),
        "100%",
      ],
    ],
  ),
)

// 2. Cost breakdown on the foundation scenario
{
  const s = byId("sriov-ats-no-atc-invalidation")
  const services = scenarioContext(s)
  const arbitrary = fc.array(fc.noBias(fc.nat({ max: 0x7fffffff })), { minLength: 1, maxLength: 100, size: "max" })
  const samples = fc.sample(arbitrary, { numRuns: 2000, seed: 11 })
  const t0 = now()
  fc.sample(arbitrary, { numRuns: 2000, seed: 11 })
  const generation = now() - t0
  const runAll = (checked: typeof properties) => {
    const t = now()
    for (const choices of samples)
      Effect.runSync(
        Effect.provideContext(
          runTrace(initialState(s.topology), fromChoices(choices), checked, { keepGoing: true }),
          services,
        ),
      )
    return now() - t
  }
  runAll(properties) // warm-up, so neither measured pass pays for JIT compilation
  const stepOnly = runAll([])
  const withProperties = runAll(properties)
  const searched = search(s, { runs: 2000, seed: 11, maxSteps: 100, properties, now })
  const parts = {
    generation,
    step: stepOnly,
    propertyChecks: Math.max(0, withProperties - stepOnly),
    shrinking: searched.shrinkMs,
  }
  const total = Object.values(parts).reduce((a, b) => a + b, 0)
  results.costBreakdown = { scenario: s.id, ms: parts }
  console.log(
    "\n## 2. Where the time goes (2000 traces of sriov-ats-no-atc-invalidation, and one search's shrinking)\n",
  )
  console.log(
    renderTable(
      ["part", "ms", "share"],
      Object.entries(parts).map(([k, v]) => [k, fmt(v), `${round((v / total) * 100, 1)}%`]),
    ),
  )
}

// 3. Explorer throughput
{
  const explorer2pc = await rate(
    "explore 2PC(7)",
    () => explore(twoPhaseCommit(7), { depth: 1000, maxStates: 1e7, now }).distinctStates,
    3,
  )
  const plain2pc = await rate("plain BFS 2PC(7)", () => plainTwoPhaseBfs(7), 3)
  /** One iovcheck scenario explored to `depth` on one thread: states/s, transitions, bytes per state. */
  const single = async (id: string, depth: number) => {
    let bytesPerState = 0
    let transitions = 0
    const r = await rate(
      `explore ${id}`,
      () => {
        const x = explore(iovcheckModel(byId(id), properties), { depth, maxStates: 1e8, now })
        bytesPerState = x.bytesPerState
        transitions = x.transitions
        return x.distinctStates
      },
      3,
    )
    return { id, depth, threads: 1, r, transitions, bytesPerState }
  }
  /** The same search on the parallel explorer's `threads` threads (a pool started once, warmed up by the first run). */
  const parallel = async (id: string, depth: number, threads: number) => {
    const pool = ExplorerPool.start(threads)
    try {
      const runs: Array<ExploreResult<unknown>> = []
      for (let i = 0; i < 3; i++)
        runs.push(await pool.explore(scenarioModelSpec(byId(id)), { depth, maxStates: 1e8, now }))
      const ms = runs.slice(1).map((x) => x.elapsedMs)
      const last = runs[runs.length - 1] as ExploreResult<unknown>
      const perSecond = (n: number) => round((last.distinctStates / n) * 1000)
      return {
        id,
        depth,
        threads,
        r: {
          perSecond: perSecond(median(ms)),
          minPerSecond: perSecond(Math.max(...ms)),
          maxPerSecond: perSecond(Math.min(...ms)),
          count: last.distinctStates,
        },
        transitions: last.transitions,
        bytesPerState: last.bytesPerState,
      }
    } finally {
      await pool.close()
    }
  }
  const iovRows = [
    await single("vf-pasid-emulated-iommu-enforced", 6),
    await single("nested-amd-forwarded-atc", 6),
    await parallel("vf-pasid-emulated-iommu-enforced", 6, 2),
    await parallel("nested-amd-forwarded-atc", 6, 2),
  ]
  const twoPcBytes = explore(twoPhaseCommit(7), { depth: 1000, maxStates: 1e7, now }).bytesPerState
  results.explorer = {
    twoPhaseCommit7: {
      statesPerSecond: explorer2pc.perSecond,
      distinctStates: explorer2pc.count,
      bytesPerState: round(twoPcBytes, 1),
    },
    plainBfs7: { statesPerSecond: plain2pc.perSecond },
    scenarios: iovRows.map((x) => ({
      id: x.id,
      depth: x.depth,
      threads: x.threads,
      distinctStates: x.r.count,
      transitions: x.transitions,
      statesPerSecond: x.r.perSecond,
      bytesPerState: round(x.bytesPerState, 1),
    })),
  }
  console.log("\n## 3. Exhaustive explorer (distinct states/s)\n")
  console.log(
    renderTable(
      ["model", "threads", "distinct states", "states/s (median)", "min", "max", "bytes/state (table + parents)"],
      [
        [
          "2PC, 7 RMs (iovcheck explorer)",
          "1",
          fmt(explorer2pc.count),
          fmt(explorer2pc.perSecond),
          fmt(explorer2pc.minPerSecond),
          fmt(explorer2pc.maxPerSecond),
          String(round(twoPcBytes, 1)),
        ],
        [
          "2PC, 7 RMs (plain-JS BFS, Set<number>)",
          "1",
          fmt(plain2pc.count),
          fmt(plain2pc.perSecond),
          fmt(plain2pc.minPerSecond),
          fmt(plain2pc.maxPerSecond),
          "-",
        ],
        ...iovRows.map((x) => [
          `${x.id}, depth ${x.depth}`,
          String(x.threads),
          fmt(x.r.count),
          fmt(x.r.perSecond),
          fmt(x.r.minPerSecond),
          fmt(x.r.maxPerSecond),
          String(round(x.bytesPerState, 1)),
        ]),
      ],
    ),
  )
}

// 4. Time to first counterexample
{
  const rows: Array<Record<string, unknown>> = []
  for (const s of scenarios.filter((x) => x.expected !== undefined && x.expected !== "safe")) {
    const first: Array<number> = []
    const shrink: Array<number> = []
    for (let seed = 1; seed <= 10; seed++) {
      const r = search(s, { runs: 3000, seed, maxSteps: 100, properties, now, shrink: false, firstOnly: true })
      const f = Math.min(...r.violations.map((v) => v.firstFoundMs))
      if (Number.isFinite(f)) first.push(f)
    }
    const shrunk = search(s, { runs: 3000, seed: 1, maxSteps: 100, properties, now, firstOnly: true })
    shrink.push(shrunk.shrinkMs)
    rows.push({
      scenario: s.id,
      found: first.length,
      medianFirstMs: round(median(first), 1),
      medianShrinkMs: round(median(shrink), 1),
    })
  }
  results.timeToFirstCounterexample = rows
  console.log("\n## 4. Time to first counterexample (median over 10 seeds, no shrinking; shrink time from seed 1)\n")
  console.log(
    renderTable(
      ["scenario", "seeds that found it", "first found (ms)", "shrink (ms, seed 1)"],
      rows.map((r) => [String(r.scenario), `${r.found}/10`, String(r.medianFirstMs), String(r.medianShrinkMs)]),
    ),
  )
}

// 5. Fuzz scaling. Each worker reports its own rate over its first `ms` (cold: V8 is still
// compiling the model, on background threads) and over the next `ms` (steady). A single worker's
// cold phase uses about 1.5 cores (TurboFan compiles concurrently on the second one: measured with
// --no-concurrent-recompilation, which halves it), so on two cores two cold workers contend for
// the compiler's core; the steady phase is what a nightly fuzz run spends nearly all its time in.
{
  const ms = 8000
  const runWorkers = async (n: number) => {
    const rates = await Promise.all(
      Array.from(
        { length: n },
        (_, i) =>
          new Promise<{ cold: number; steady: number }>((resolve, reject) => {
            const w = new Worker(new URL("./fuzz-worker.js", import.meta.url), {
              workerData: { scenario: "sriov-ats-strict", ms, seed: i + 1 },
            })
            w.once("message", resolve)
            w.once("error", reject)
          }),
      ),
    )
    return { cold: rates.reduce((a, r) => a + r.cold, 0), steady: rates.reduce((a, r) => a + r.steady, 0) }
  }
  const one = await runWorkers(1)
  const two = await runWorkers(2)
  results.fuzzScaling = {
    oneWorker: round(one.steady),
    twoWorkers: round(two.steady),
    speedup: round(two.steady / one.steady, 2),
    cold: { oneWorker: round(one.cold), twoWorkers: round(two.cold), speedup: round(two.cold / one.cold, 2) },
  }
  console.log(
    `\n## 5. Fuzz scaling (sriov-ats-strict; each worker's first ${ms / 1000} s cold, next ${ms / 1000} s steady)\n`,
  )
  console.log(
    renderTable(
      ["workers", "steady commands/s", "speed-up", "cold commands/s", "speed-up (cold)"],
      [
        ["1", fmt(one.steady), "1.00", fmt(one.cold), "1.00"],
        [
          "2",
          fmt(two.steady),
          String(round(two.steady / one.steady, 2)),
          fmt(two.cold),
          String(round(two.cold / one.cold, 2)),
        ],
      ],
    ),
  )
}

// 6. Symmetry reduction: distinct states and time to the same depth with and without it, on the
// scenarios with interchangeable VFs (one of each family), and the ratio explore --json leaves null.
{
  const rows: Array<Record<string, unknown>> = []
  for (const [id, depth] of [
    ["sriov-ats-strict", 6],
    ["vf-pasid-emulated-iommu-enforced", 5],
    ["nested-amd-forwarded-atc", 5],
    ["cache-context-tag-before-change", 9],
  ] as const) {
    const s = byId(id)
    const runs = ([[], ["symmetry"]] as const).map((reductions) =>
      explore(iovcheckModel(s, properties, reductions), { depth, maxStates: 50_000_000, now }),
    )
    const [plain, reduced] = runs as [ExploreResult<Command>, ExploreResult<Command>]
    rows.push({
      scenario: id,
      depth,
      reductions: ["symmetry"],
      statesWithout: plain.distinctStates,
      statesWith: reduced.distinctStates,
      reductionRatio: round(reduced.distinctStates / plain.distinctStates, 3),
      msWithout: round(plain.elapsedMs),
      msWith: round(reduced.elapsedMs),
    })
  }
  results.symmetryReduction = rows
  console.log("\n## 6. Symmetry reduction (explore --symmetry): distinct states and time to the same depth\n")
  console.log(
    renderTable(
      ["scenario", "depth", "states without", "states with", "ratio", "ms without", "ms with"],
      rows.map((r) => [
        String(r.scenario),
        String(r.depth),
        fmt(Number(r.statesWithout)),
        fmt(Number(r.statesWith)),
        String(r.reductionRatio),
        fmt(Number(r.msWithout)),
        fmt(Number(r.msWith)),
      ]),
    ),
  )
}

mkdirSync(out, { recursive: true })
writeFileSync(join(out, "bench-results.json"), `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nwrote ${join(out, "bench-results.json")}`)
