/**
 * The oracle a mutant must get past: the project's own checks at a fixed seed and a modest budget,
 * run against the model this module is compiled with (the mutated one, in a mutant's sandbox).
 *
 * In order (cheap kills first), stopping at the first kill (steps 2 and 4 run a quick pass of an
 * eighth of their traces over every scenario before the full one):
 * 1. `unsafe-catalogue`: every unsafe catalogue scenario must still violate each expected property:
 *    its witness trace (`witness.ts`) is replayed, and when that no longer violates it, a random
 *    search (`unsafeRuns` traces of up to `unsafeMaxSteps`) looks for it;
 * 2. `safe-catalogue-random`: every safe catalogue scenario, random search over every property
 *    (`runs` traces of up to `maxSteps`, no shrinking): no violation, no model defect;
 * 3. `safe-catalogue-explore`: the same scenarios explored breadth-first to
 *    min(pinned depth, `depth`) within `maxStates` distinct states;
 * 4. `sweep-random`, 5. `sweep-explore`: the pairwise combination sweep (`drivers/sweep/`), every
 *    generated scenario random-searched (`sweepRuns`) and explored (`sweepDepth`, `sweepMaxStates`)
 *    under the default policy.
 *
 * A model defect anywhere (an unsafe scenario included) kills, as does an exception escaping the
 * drivers. The baseline (`runBaseline`) runs every check on the unmutated model, lists every
 * finding (there must be none) and finds the witnesses.
 *
 * @module
 */
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { MODEL_DEFECT } from "../drivers/run-trace.ts"
import { sweepScenarios } from "../drivers/sweep/sweep.ts"
import { properties } from "../properties/catalogue.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import type { Kill, OracleBudget, OracleId } from "./report-schema.ts"
import { expectedProperties, searchFor, type Witness, witnessHolds } from "./witness.ts"

/** The default budgets (the README gives the time they take). */
export const DEFAULT_BUDGET: OracleBudget = {
  /** The seed of the test suite's scenario tests, at which their budgets find every expected violation. */
  seed: 20261121,
  runs: 100,
  maxSteps: 60,
  /** The test suite's budget for the unsafe scenarios (`test/scenarios-unsafe.test.ts`). */
  unsafeRuns: 3000,
  unsafeMaxSteps: 100,
  depth: 3,
  maxStates: 10_000,
  sweepRuns: 60,
  sweepDepth: 2,
  sweepMaxStates: 10_000,
}

/** One check of the oracle: its oracle, scenario and how long it took. */
export interface CheckTiming {
  readonly oracle: OracleId
  readonly scenario: string
  /** Wall-clock and CPU milliseconds (the CPU time does not grow when other jobs load the machine). */
  readonly ms: number
  readonly cpuMs: number
}

/** What the oracle saw: the kills (the first only, unless every check was asked for) and each check's time. */
export interface OracleResult {
  readonly kills: ReadonlyArray<Kill>
  readonly checks: ReadonlyArray<CheckTiming>
  readonly elapsedMs: number
}

const now = () => performance.now()

const isSafe = (s: Scenario): boolean => expectedProperties(s).length === 0

/** Explores a scenario and returns its first violation (the explorer stops soon after one). */
const exploreFirst = (
  scenario: Scenario,
  depth: number,
  maxStates: number,
): { readonly property: string; readonly message: string } | undefined => {
  const model = iovcheckModel(scenario, properties)
  let first: { readonly property: string; readonly message: string } | undefined
  const result = explore(
    {
      ...model,
      next: (state, command) => {
        let successor: ReturnType<typeof model.next>
        try {
          successor = model.next(state, command)
        } catch (e) {
          successor = {
            state: undefined,
            violations: [{ property: MODEL_DEFECT, message: e instanceof Error ? e.message : String(e) }],
          }
        }
        first ??= successor.violations[0]
        return successor
      },
      propertyCount: 1,
    },
    { depth, maxStates, now, shouldStop: () => first !== undefined },
  )
  return first ?? result.violations[0]
}

/** One planned check: an oracle on a scenario. */
type Check = readonly [OracleId, Scenario, () => ReadonlyArray<Kill>]

/** The checks of the safe scenarios and the sweep, in order (the sweep's scenarios generated when reached). */
const safeChecks = (budget: OracleBudget, scenarios: ReadonlyArray<Scenario>): Iterable<Check> => {
  const random = (oracle: OracleId, s: Scenario, runs: number) => (): ReadonlyArray<Kill> => {
    const { found, defect } = searchFor(s, properties, { runs, maxSteps: budget.maxSteps, seed: budget.seed }, false)
    const first = found[0]
    return defect !== undefined
      ? [{ oracle, scenario: s.id, property: MODEL_DEFECT, message: defect }]
      : first === undefined
        ? []
        : [{ oracle, scenario: s.id, property: first.property, message: `violated in ${first.commands.length} steps` }]
  }
  const explored = (oracle: OracleId, s: Scenario, depth: number, maxStates: number) => (): ReadonlyArray<Kill> => {
    const v = exploreFirst(s, depth, maxStates)
    return v === undefined ? [] : [{ oracle, scenario: s.id, property: v.property, message: v.message }]
  }
  const safe = scenarios.filter(isSafe)
  const quick = (runs: number) => Math.max(8, Math.floor(runs / 8))
  return (function* () {
    // A quick pass first: an eighth of the random traces of every scenario (the same seed gives the
    // same first traces), so a mutant that breaks something common dies in seconds.
    for (const s of safe)
      yield ["safe-catalogue-random", s, random("safe-catalogue-random", s, quick(budget.runs))] as const
    const sweep = sweepScenarios("pairwise").map((g) => g.scenario)
    for (const s of sweep) yield ["sweep-random", s, random("sweep-random", s, quick(budget.sweepRuns))] as const
    for (const s of safe) yield ["safe-catalogue-random", s, random("safe-catalogue-random", s, budget.runs)] as const
    for (const s of safe)
      yield [
        "safe-catalogue-explore",
        s,
        explored(
          "safe-catalogue-explore",
          s,
          Math.min(s.exploration?.depth ?? budget.depth, budget.depth),
          budget.maxStates,
        ),
      ] as const
    for (const s of sweep) yield ["sweep-random", s, random("sweep-random", s, budget.sweepRuns)] as const
    for (const s of sweep)
      yield ["sweep-explore", s, explored("sweep-explore", s, budget.sweepDepth, budget.sweepMaxStates)] as const
  })()
}

/** The check of one unsafe scenario against a mutant: each expected property by its witness, else by a search. */
const unsafeCheck =
  (budget: OracleBudget, s: Scenario, witnesses: ReadonlyArray<Witness>) => (): ReadonlyArray<Kill> => {
    const kills: Array<Kill> = []
    for (const id of expectedProperties(s)) {
      const property = properties.find((p) => p.id === id)
      if (property === undefined) continue
      const witness = witnesses.find((w) => w.scenario === s.id && w.property === id)
      if (witness !== undefined && witnessHolds(s, witness, property)) continue
      const { found, defect } = searchFor(
        s,
        [property],
        { runs: budget.unsafeRuns, maxSteps: budget.unsafeMaxSteps, seed: budget.seed },
        false,
      )
      if (defect !== undefined)
        kills.push({ oracle: "unsafe-catalogue", scenario: s.id, property: MODEL_DEFECT, message: defect })
      else if (found.length === 0)
        kills.push({
          oracle: "unsafe-catalogue",
          scenario: s.id,
          property: id,
          message: `expected violation lost: the witness trace${witness === undefined ? "" : ` (${witness.commands.length} commands)`} no longer violates it and ${budget.unsafeRuns} random traces did not find it`,
        })
      if (kills.length > 0) break
    }
    return kills
  }

/** Runs one check, turning an exception escaping the drivers into a kill. */
const runCheck = ([oracle, scenario, body]: Check, checks: Array<CheckTiming>): ReadonlyArray<Kill> => {
  const t = now()
  const cpu = process.cpuUsage()
  let kills: ReadonlyArray<Kill>
  try {
    kills = body()
  } catch (e) {
    kills = [
      {
        oracle,
        scenario: scenario.id,
        property: "exception",
        message: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      },
    ]
  }
  const used = process.cpuUsage(cpu)
  checks.push({
    oracle,
    scenario: scenario.id,
    ms: Math.round(now() - t),
    cpuMs: Math.round((used.user + used.system) / 1000),
  })
  return kills
}

/** Runs the oracle against a mutant, stopping at the first kill. */
export const runOracle = (budget: OracleBudget, witnesses: ReadonlyArray<Witness>): OracleResult => {
  const started = now()
  const checks: Array<CheckTiming> = []
  const scenarios = catalogue()
  const plan: Iterable<Check> = (function* () {
    for (const s of scenarios.filter((x) => !isSafe(x)))
      yield ["unsafe-catalogue", s, unsafeCheck(budget, s, witnesses)] as const
    yield* safeChecks(budget, scenarios)
  })()
  for (const check of plan) {
    const kills = runCheck(check, checks)
    if (kills.length > 0) return { kills, checks, elapsedMs: Math.round(now() - started) }
  }
  return { kills: [], checks, elapsedMs: Math.round(now() - started) }
}

/**
 * The baseline on the unmutated model: finds the witnesses of the unsafe scenarios (a known
 * witness that still violates its property is kept; the others are searched for, shrunk, and an
 * expected property not found is listed as a kill: the budget is too small for it) and runs every
 * safe check, listing every finding. A usable baseline has no kill.
 */
export const runBaseline = (
  budget: OracleBudget,
  known: ReadonlyArray<Witness>,
): OracleResult & { readonly witnesses: ReadonlyArray<Witness> } => {
  const started = now()
  const checks: Array<CheckTiming> = []
  const scenarios = catalogue()
  const witnesses: Array<Witness> = []
  const kills: Array<Kill> = []
  const unsafeBaseline = (s: Scenario) => (): ReadonlyArray<Kill> => {
    const expected = properties.filter((p) => expectedProperties(s).includes(p.id))
    const missing = expected.filter((p) => {
      const w = known.find((x) => x.scenario === s.id && x.property === p.id)
      if (w === undefined || !witnessHolds(s, w, p)) return true
      witnesses.push(w)
      return false
    })
    if (missing.length === 0) return []
    const { found, defect } = searchFor(
      s,
      missing,
      { runs: budget.unsafeRuns, maxSteps: budget.unsafeMaxSteps, seed: budget.seed },
      true,
    )
    witnesses.push(...found)
    return [
      ...(defect === undefined
        ? []
        : [{ oracle: "unsafe-catalogue" as const, scenario: s.id, property: MODEL_DEFECT, message: defect }]),
      ...missing
        .filter((p) => !found.some((w) => w.property === p.id))
        .map((p) => ({
          oracle: "unsafe-catalogue" as const,
          scenario: s.id,
          property: p.id,
          message: `not found on the unmutated model in ${budget.unsafeRuns} runs of up to ${budget.unsafeMaxSteps} steps`,
        })),
    ]
  }
  for (const s of scenarios.filter((x) => !isSafe(x)))
    kills.push(...runCheck(["unsafe-catalogue", s, unsafeBaseline(s)], checks))
  for (const check of safeChecks(budget, scenarios)) kills.push(...runCheck(check, checks))
  return { kills, checks, witnesses, elapsedMs: Math.round(now() - started) }
}
