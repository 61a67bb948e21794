/**
 * iovcheck as a library (`import … from "iovcheck"`): the same searches, documents and reports as
 * the CLI, as typed functions.
 *
 * - Scenarios: {@link loadScenario} (a file), {@link parseScenario} (an object), {@link catalogue}.
 * - Searches: {@link verify} (random search, shrunk counterexamples; the `verify --json` document),
 *   {@link explore} (breadth-first to a depth; the `explore --json` document).
 * - Counterexamples: {@link loadCounterexample}, {@link parseCounterexample}, {@link replay} (the
 *   `replay --json` document).
 * - {@link properties}: id, kind, statement and citation of every property.
 * - Renderers: {@link renderVerifyTable}, {@link renderExploreTable}, {@link renderReplayText},
 *   {@link renderCounterexampleMarkdown}, {@link renderCounterexampleHtml}.
 * - Schemas: the Effect Schemas of the documents and files (`VerifyReport`, `ExploreDocument`,
 *   `ReplayDocument`, `Scenario`, `ScenarioFile`, `CounterexampleFile`, `PolicySchema`): decode a
 *   `--json` document with `Schema.decodeUnknownSync(VerifyReport)`; {@link jsonSchema} gives
 *   their JSON Schemas.
 *
 * Every function is synchronous (a search blocks for its duration, as the CLI's does). Bad input
 * throws `ScenarioError` or `CounterexampleError`, whose message is one line naming the file and
 * the field.
 *
 * @module
 */
export { version } from "../cli/version.ts"
export { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
export { type PolicyInput, PolicySchema } from "../model/policy.ts"
export {
  ExploreDocument,
  ExploreReport,
  ExploreViolation,
} from "../reports/explore-report.ts"
export { ReplayDocument, ReplayStep, ReplayViolation } from "../reports/replay-report.ts"
export { ScenarioReport, VerifyReport, ViolationReport } from "../reports/verify-report.ts"
export { Expectation, Scenario, ScenarioFile } from "../scenarios/scenario.ts"
export { EXPLORE_DEFAULTS, type ExploreOptions, explore, exploreScenario } from "./explore.ts"
export { jsonSchema, jsonSchemaText, SCHEMA_NAMES, type SchemaName } from "./json-schemas.ts"
export { type PropertyInfo, properties } from "./properties.ts"
export {
  type ReportOptions,
  renderCounterexampleHtml,
  renderCounterexampleMarkdown,
  renderExploreTable,
  renderReplayText,
  renderVerifyTable,
} from "./render.ts"
export { CounterexampleError, loadCounterexample, parseCounterexample, replay } from "./replay.ts"
export { catalogue, loadScenario, parseScenario, ScenarioError } from "./scenarios.ts"
export { VERIFY_DEFAULTS, type VerifyOptions, verify, verifyScenario } from "./verify.ts"
