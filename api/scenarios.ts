/**
 * Scenarios for the library: read one from a file, decode one from an object, or take the
 * catalogue. Decoding is the CLI's: strict at every level (an unknown key anywhere is an error
 * naming it, with the nearest known keys), `"$schema"` allowed at the top and dropped.
 *
 * @module
 */
import {
  catalogue as readCatalogue,
  readScenarioFile,
  ScenarioError,
  scenarioFromValue,
} from "../scenarios/catalogue.ts"
import type { Scenario } from "../scenarios/scenario.ts"

export { ScenarioError }

/**
 * Reads and decodes a scenario file (JSON, shaped as `iovcheck schema scenario` says). Throws
 * `ScenarioError` with one line naming the file and what is wrong:
 * `mine.json: at ["policy"]["atcInvalidaton"]: unknown key "atcInvalidaton" (nearest: atcInvalidation, …)`.
 */
export const loadScenario = (path: string): Scenario => readScenarioFile(path)

/**
 * Decodes a scenario from a JSON value (what `JSON.parse` gives, or an object literal). Throws
 * `ScenarioError` with one line, prefixed by `origin` (default `scenario`).
 */
export const parseScenario = (value: unknown, origin?: string): Scenario => scenarioFromValue(value, origin)

/** Every scenario of iovcheck's catalogue (the designs of the seed threads), sorted by id. */
export const catalogue = (): ReadonlyArray<Scenario> => readCatalogue()
