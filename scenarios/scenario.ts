/**
 * A scenario: data, not code (DESIGN.md §4). Topology, vendor, policy values, an optional
 * expectation, and the source (seed thread or spec) the design comes from.
 *
 * JSON shape (one file per scenario under `scenarios/`, or a user's own file):
 * ```json
 * { "id": "sriov-ats-strict",
 *   "title": "…", "source": "…",
 *   "vendor": "vtd",
 *   "topology": { … see model/topology.ts … },
 *   "policy": { "invalidationOrder": "iotlb-then-atc", "atcInvalidation": "on" },
 *   "expected": "safe" }
 * ```
 * `expected` is `"safe"`, or `{ "violates": ["atc-coherence", …] }` (every listed property must be
 * violated and no other), or absent (then the scenario passes when it is safe). `exploration`
 * (optional) pins a depth and the distinct-state count the explorer must find there, cheap enough
 * for `npm test`; `proof` (optional) pins a deeper bounded proof `npm run prove` checks; `shortest`
 * (optional, unsafe scenarios) pins the length of the shortest counterexample of each expected
 * property, as the explorer finds it.
 *
 * @module
 */
import { Context, Layer, Schema } from "effect"
import { Policy, type PolicyInput, PolicySchema, resolvePolicy } from "../model/policy.ts"
import {
  type ProceduresInput,
  ProceduresSchema,
  ProgramsService,
  proceduresError,
  resolvePrograms,
} from "../model/programs.ts"
import { Topology } from "../model/topology.ts"
import { Vendor, VendorId, vendors } from "../model/vendor.ts"
import { propertyIds } from "../properties/catalogue.ts"

/** A property id known to this version of iovcheck. */
export const PropertyId = Schema.Literals(propertyIds as [string, ...Array<string>])

/** What a scenario is expected to do: be safe, or violate exactly these properties. */
export const Expectation = Schema.Union([
  Schema.Literal("safe"),
  Schema.Struct({ violates: Schema.Array(PropertyId).check(Schema.isMinLength(1)) }),
])
/** What a scenario is expected to do. */
export type Expectation = typeof Expectation.Type

/**
 * A pinned exhaustive exploration (like the TLA+ examples' manifests): the explorer, run to
 * `depth`, must find exactly `distinctStates` distinct states and no violation. `npm test` checks it.
 */
export const Exploration = Schema.Struct({
  depth: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  distinctStates: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
})

/**
 * A pinned bounded proof (issue 19): the explorer, run to `depth`, must find exactly
 * `distinctStates` distinct states and no violation. Its depth is at least the longest `shortest`
 * counterexample of the scenario's unsafe siblings plus two, so it rules out, in this world, the
 * bugs its siblings show and their near variants. `npm run prove` (and the nightly workflow) checks it.
 */
export const Proof = Exploration

/** An unsafe scenario's shortest counterexample length (in commands) per expected property. */
export const Shortest = Schema.Record(Schema.String, Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))

/** Schema of a scenario file. */
export const Scenario = Schema.Struct({
  id: Schema.String.check(
    Schema.isPattern(/^[a-z0-9][a-z0-9-]*$/, { message: "Expected an id like sriov-ats-strict" }),
  ),
  title: Schema.String,
  source: Schema.String,
  vendor: VendorId,
  topology: Topology,
  policy: PolicySchema,
  procedures: Schema.optionalKey(ProceduresSchema),
  expected: Schema.optionalKey(Expectation),
  exploration: Schema.optionalKey(Exploration),
  proof: Schema.optionalKey(Proof),
  shortest: Schema.optionalKey(Shortest),
  notes: Schema.optionalKey(Schema.String),
}).check(
  Schema.makeFilter((s: { readonly policy: PolicyInput; readonly procedures?: ProceduresInput }) => {
    const error = proceduresError(s.policy, s.procedures)
    return error === undefined ? true : { path: ["procedures"], issue: error }
  }),
)
/** A decoded scenario. */
export type Scenario = typeof Scenario.Type

/** `"safe"`, `"violates a, b"` or `"-"` (no expectation). */
export const formatExpectation = (e: Expectation | undefined): string =>
  e === undefined ? "-" : e === "safe" ? "safe" : `violates ${e.violates.join(", ")}`

/** The services `step` needs for this scenario, as a Context. */
export const scenarioContext = (scenario: Scenario): Context.Context<Vendor | Policy | ProgramsService> => {
  const policy = resolvePolicy(scenario.policy)
  return Context.make(Vendor, vendors[scenario.vendor]).pipe(
    Context.add(Policy, policy),
    Context.add(ProgramsService, resolvePrograms(policy, scenario.procedures)),
  )
}

/** The `Vendor`, `Policy` and `ProgramsService` services of this scenario, as a Layer (DESIGN.md §2). */
export const scenarioLayer = (scenario: Scenario): Layer.Layer<Vendor | Policy | ProgramsService> =>
  Layer.succeedContext(scenarioContext(scenario))
