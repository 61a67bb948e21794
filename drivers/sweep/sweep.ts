/**
 * The combination sweep (DESIGN.md §9, "features compose"): generates scenarios from the feature
 * grid (`scenarios/feature-grid.ts`), pairwise or the full grid, and checks each one under the
 * default policy with both drivers: the random search and a bounded exhaustive exploration. Every
 * generated scenario is expected safe, so any violation or model defect is a finding: a model bug
 * to fix, or a genuine hazard of the combination to explain and mitigate with a knob.
 *
 * @module
 */
import { explore, type StopReason } from "../exhaustive/bfs.ts"
import { iovcheckModel } from "../exhaustive/iovcheck-model.ts"
import type { Command } from "../../model/command.ts"
import type { Property } from "../../properties/property.ts"
import {
  GRID_FACTORS,
  GRID_FEATURES,
  type GridPoint,
  gridScenario,
  pointOf,
  validRow,
} from "../../scenarios/feature-grid.ts"
import type { Scenario } from "../../scenarios/scenario.ts"
import { search, type Violation } from "../random.ts"
import { fullGrid, pairwise, type Row } from "./pairwise.ts"

/** Which rows of the grid: a pairwise covering array, or every feature combination. */
export type SweepMode = "pairwise" | "all"

/**
 * The rows of a mode. `all`: every valid combination of the feature factors, each with counts
 * picked by a rotation through the count levels (row k takes the mixed-radix digits of k), then
 * fixed to the constraints (one table and one PASID where they mean nothing; three pages and two
 * IOVAs for an RMRR); `pairwise`: a covering array over features and counts together.
 */
export const sweepRows = (mode: SweepMode): ReadonlyArray<Row> => {
  if (mode === "pairwise") return pairwise(GRID_FACTORS, validRow)
  const features = GRID_FACTORS.slice(0, GRID_FEATURES)
  const counts = GRID_FACTORS.slice(GRID_FEATURES)
  const rows: Array<Row> = []
  fullGrid(features, () => true).forEach((f, k) => {
    let rest = k
    const c = counts.map((factor) => {
      const level = rest % factor.levels.length
      rest = Math.floor(rest / factor.levels.length)
      return level
    })
    const row = [...f, ...c]
    const fix = (name: string, level: number) => {
      const i = GRID_FACTORS.findIndex((x) => x.name === name)
      const trial = [...row]
      trial[i] = level
      if (!validRow(row) && validRow(trial)) row[i] = level
    }
    fix("tables", 0)
    fix("pasids", 0)
    fix("pages", 1)
    fix("iovas", 1)
    if (validRow(row)) rows.push(row)
  })
  return rows
}

/** The scenarios of a mode, in row order. */
export const sweepScenarios = (
  mode: SweepMode,
): ReadonlyArray<{ readonly point: GridPoint; readonly scenario: Scenario }> =>
  sweepRows(mode).map((row) => {
    const point = pointOf(row)
    return { point, scenario: gridScenario(point) }
  })

/** Budgets of one scenario's check. */
export interface SweepBudget {
  /** Random traces per pass and the longest trace. */
  readonly runs: number
  readonly maxSteps: number
  readonly seed: number
  /** Exploration depth and distinct-state budget. */
  readonly depth: number
  readonly maxStates: number
  readonly properties: ReadonlyArray<Property>
  readonly now: () => number
}

/** A finding of the sweep in one scenario (from either driver). */
export interface SweepFinding {
  readonly driver: "random" | "explore"
  readonly property: string
  readonly message: string
  readonly stepIndex: number
  readonly commands: ReadonlyArray<Command>
  /** The random driver's violation, for writing a counterexample file with its seed and path. */
  readonly violation?: Violation
}

/** What the sweep did on one scenario. */
export interface SweepResult {
  readonly scenario: Scenario
  readonly point: GridPoint
  readonly runs: number
  readonly commands: number
  readonly depthCompleted: number
  readonly distinctStates: number
  readonly stoppedBy: StopReason
  readonly elapsedMs: number
  readonly findings: ReadonlyArray<SweepFinding>
}

/** Checks one generated scenario with both drivers. */
export const sweepOne = (point: GridPoint, scenario: Scenario, budget: SweepBudget): SweepResult => {
  const started = budget.now()
  const random = search(scenario, {
    runs: budget.runs,
    seed: budget.seed,
    maxSteps: budget.maxSteps,
    properties: budget.properties,
    now: budget.now,
  })
  const explored = explore(iovcheckModel(scenario, budget.properties), {
    depth: budget.depth,
    maxStates: budget.maxStates,
    now: budget.now,
  })
  const findings: Array<SweepFinding> = [
    ...random.violations.map((v) => ({
      driver: "random" as const,
      property: v.property,
      message: v.message,
      stepIndex: v.stepIndex,
      commands: v.commands,
      violation: v,
    })),
    ...explored.violations
      .filter((v) => !random.violations.some((r) => r.property === v.property))
      .map((v) => ({
        driver: "explore" as const,
        property: v.property,
        message: v.message,
        stepIndex: v.commands.length - 1,
        commands: v.commands,
      })),
  ]
  return {
    scenario,
    point,
    runs: random.runs,
    commands: random.commands,
    depthCompleted: explored.depthCompleted,
    distinctStates: explored.distinctStates,
    stoppedBy: explored.stoppedBy,
    elapsedMs: budget.now() - started,
    findings,
  }
}
