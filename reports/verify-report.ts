/**
 * The report of `iovcheck verify`: the `--json` document (a public interface CI pipelines parse:
 * add fields, never rename) and the verdict table.
 *
 * JSON shape:
 * ```json
 * { "iovcheck": "0.1.0", "seed": 1, "interrupted": false,
 *   "scenarios": [ { "id": "…", "expected": "safe" | { "violates": ["…"] } | null,
 *                    "verdict": "safe" | "unsafe", "asExpected": true, "runs": 1000, "commands": 25000,
 *                    "elapsedMs": 812,
 *                    "violations": [ { "property": "…", "firstFoundMs": 9.6, "shrunkLength": 6,
 *                                      "oneMinimal": true, "stepIndex": 5, "message": "…",
 *                                      "file": "iovcheck-out/<scenario>/<property>.json" } ] } ] }
 * ```
 *
 * @module
 */
import { type Expectation, formatExpectation } from "../scenarios/scenario.ts"
import { renderTable } from "./table.ts"

/** One violation as the report gives it. */
export interface ViolationReport {
  readonly property: string
  readonly firstFoundMs: number
  readonly shrunkLength: number
  readonly oneMinimal: boolean
  readonly stepIndex: number
  readonly message: string
  readonly file: string
}

/** One scenario's verdict. */
export interface ScenarioReport {
  readonly id: string
  readonly expected: Expectation | null
  readonly verdict: "safe" | "unsafe"
  readonly asExpected: boolean
  readonly runs: number
  readonly commands: number
  readonly elapsedMs: number
  readonly violations: ReadonlyArray<ViolationReport>
}

/** The whole `verify --json` document. */
export interface VerifyReport {
  readonly iovcheck: string
  readonly seed: number
  /** True when SIGINT/SIGTERM stopped the run: `scenarios` holds the completed ones only. */
  readonly interrupted: boolean
  readonly scenarios: ReadonlyArray<ScenarioReport>
}

/**
 * Whether the violated properties match the expectation: `"safe"` or none means no violation;
 * `{ violates }` means exactly those properties.
 */
export const matchesExpectation = (expected: Expectation | undefined, violated: ReadonlyArray<string>): boolean => {
  if (expected === undefined || expected === "safe") return violated.length === 0
  const want = [...new Set(expected.violates)].sort()
  const got = [...new Set(violated)].sort()
  return want.length === got.length && want.every((p, i) => p === got[i])
}

const ms = (x: number): string => (x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`)

/** The verdict table: scenario, expected, verdict, as expected, violated properties, shrunk length, first found. */
export const renderVerifyTable = (report: VerifyReport): string =>
  renderTable(
    ["scenario", "expected", "verdict", "as expected", "violated", "shrunk length", "first found"],
    report.scenarios.map((s) => [
      s.id,
      formatExpectation(s.expected ?? undefined),
      s.verdict,
      s.asExpected ? "yes" : "NO",
      s.violations.map((v) => v.property).join(", ") || "-",
      s.violations.map((v) => `${v.shrunkLength}${v.oneMinimal ? "" : "*"}`).join(", ") || "-",
      s.violations.map((v) => ms(v.firstFoundMs)).join(", ") || "-",
    ]),
  )
