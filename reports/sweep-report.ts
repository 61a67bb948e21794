/**
 * The report of `iovcheck sweep`: the `--json` document (a public interface: add fields, never
 * rename) and the table.
 *
 * JSON shape:
 * ```json
 * { "iovcheck": "0.1.0", "interrupted": false, "mode": "pairwise", "seed": 1, "shard": "1/1",
 *   "budget": { "runs": 300, "maxSteps": 100, "depth": 5, "maxStates": 30000 },
 *   "totals": { "scenarios": 10, "unsafe": 0, "modelDefects": 0, "distinctStates": 120000,
 *               "commands": 400000, "elapsedMs": 30000 },
 *   "scenarios": [ { "id": "sweep-vtd-…", "features": { "vendor": "vtd", "vms": 2, "ats": true, … },
 *                    "verdict": "safe" | "unsafe", "asExpected": true, "runs": 300,
 *                    "commands": 20000, "depthCompleted": 5, "distinctStates": 12000,
 *                    "stoppedBy": "depth", "elapsedMs": 2100,
 *                    "violations": [ { "property": "…", "driver": "random" | "explore", "length": 7,
 *                                      "message": "…", "file": "…/<scenario>/<property>.json" } ] } ] }
 * ```
 * Every generated scenario is expected safe: `asExpected` is `verdict === "safe"`.
 *
 * @module
 */
import type { GridPoint } from "../scenarios/feature-grid.ts"
import { renderTable } from "./table.ts"

/** One violation (or model defect) the sweep found in one scenario. */
export interface SweepViolationReport {
  readonly property: string
  readonly driver: "random" | "explore"
  readonly length: number
  readonly message: string
  readonly file: string
}

/** One generated scenario's result. */
export interface SweepScenarioReport {
  readonly id: string
  readonly features: GridPoint
  readonly verdict: "safe" | "unsafe"
  readonly asExpected: boolean
  readonly runs: number
  readonly commands: number
  readonly depthCompleted: number
  readonly distinctStates: number
  readonly stoppedBy: string
  readonly elapsedMs: number
  readonly violations: ReadonlyArray<SweepViolationReport>
}

/** The whole `sweep --json` document. */
export interface SweepReport {
  readonly iovcheck: string
  /** Whether SIGINT/SIGTERM stopped the sweep before its last scenario. */
  readonly interrupted: boolean
  readonly mode: "pairwise" | "all"
  readonly seed: number
  readonly shard: string
  readonly budget: {
    readonly runs: number
    readonly maxSteps: number
    readonly depth: number
    readonly maxStates: number
  }
  readonly totals: {
    readonly scenarios: number
    readonly unsafe: number
    readonly modelDefects: number
    readonly distinctStates: number
    readonly commands: number
    readonly elapsedMs: number
  }
  readonly scenarios: ReadonlyArray<SweepScenarioReport>
}

const thousands = (n: number): string => n.toLocaleString("en-US")

/** The sweep's table: one row per scenario, then the totals. */
export const renderSweepTable = (report: SweepReport): string =>
  [
    renderTable(
      ["scenario", "verdict", "random runs", "explored", "violated"],
      report.scenarios.map((s) => [
        s.id,
        s.verdict,
        thousands(s.runs),
        `depth ${s.depthCompleted}, ${thousands(s.distinctStates)} states${s.stoppedBy === "exhausted" ? " (all)" : ""}`,
        s.violations.map((v) => `${v.property} (${v.driver}, ${v.length})`).join(", ") || "-",
      ]),
    ),
    "",
    `${report.totals.scenarios} scenarios (${report.mode}${report.shard === "1/1" ? "" : `, shard ${report.shard}`}), ` +
      `${report.totals.unsafe} with violations, ${report.totals.modelDefects} model defects; ` +
      `${thousands(report.totals.commands)} random commands, ${thousands(report.totals.distinctStates)} distinct states explored, ` +
      `${(report.totals.elapsedMs / 1000).toFixed(1)} s`,
  ].join("\n")
