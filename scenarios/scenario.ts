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
  type Programs,
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
 * A state-space reduction of the exhaustive explorer: `"symmetry"` counts states that differ by a
 * permutation of interchangeable VFs as one (`drivers/exhaustive/symmetry.ts`).
 */
export const Reduction = Schema.Literal("symmetry")
/** A state-space reduction of the exhaustive explorer. */
export type Reduction = typeof Reduction.Type

/**
 * A pinned bounded proof (issue 19): the explorer, run to `depth` with `reductions` (none when
 * absent), must find exactly `distinctStates` distinct states (counted after the reductions) and no
 * violation. Its depth is at least the longest known counterexample of the scenario's unsafe
 * siblings plus two (`scenarios/siblings.ts` `requiredProofDepth`; the exceptions are listed there
 * as `PROOF_GAPS`), so it rules out, in this world, the bugs its siblings show and their near
 * variants. `npm run prove` (and the nightly workflow) checks it. A proof with reductions is as
 * strong as one without where the reductions are sound (every permutation an automorphism of the
 * transition system and the properties: `symmetry.test.ts`), and reaches depths whose unreduced
 * state space does not fit a nightly budget.
 */
export const Proof = Schema.Struct({
  ...Exploration.fields,
  reductions: Schema.optionalKey(Schema.Array(Reduction)).annotate({
    description: "State-space reductions the explorer runs with to re-derive this proof (none when absent)",
  }),
})

/** An unsafe scenario's shortest counterexample length (in commands) per expected property. */
export const Shortest = Schema.Record(Schema.String, Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))

const scenarioFields = {
  id: Schema.String.check(
    Schema.isPattern(/^[a-z0-9][a-z0-9-]*$/, { message: "Expected an id like sriov-ats-strict" }),
  ).annotate({ description: "The scenario's id: lower-case letters, digits and dashes" }),
  title: Schema.String.annotate({ description: "One line: the design and what it does" }),
  source: Schema.String.annotate({ description: "Where the design comes from: a seed thread, a spec section" }),
  vendor: VendorId.annotate({ description: "The IOMMU architecture: vtd (Intel VT-d), amd-vi or smmuv3 (Arm)" }),
  topology: Topology.annotate({ description: "VMs, PCIe functions, sub-devices, pages and IOVAs (model/topology.ts)" }),
  policy: PolicySchema.annotate({
    description: "The design knobs (model/policy.ts); an absent knob takes the default the specs prescribe",
  }),
  procedures: Schema.optionalKey(ProceduresSchema).annotate({
    description: "Programs of named atomic operations for the multi-step procedures (model/programs.ts)",
  }),
  expected: Schema.optionalKey(Expectation).annotate({
    description: 'What the scenario must do: "safe", or { "violates": [...] } (exactly those properties)',
  }),
  exploration: Schema.optionalKey(Exploration).annotate({
    description: "A pinned exhaustive exploration: the distinct-state count at a depth",
  }),
  proof: Schema.optionalKey(Proof).annotate({
    description: "A pinned bounded proof (npm run prove): the distinct-state count at a depth, with no violation",
  }),
  shortest: Schema.optionalKey(Shortest).annotate({
    description: "An unsafe scenario's shortest counterexample length (commands) per expected property",
  }),
  notes: Schema.optionalKey(Schema.String),
}

/** The cross-field rule of a scenario: its `procedures` agree with its policy knobs. */
const proceduresAgree = Schema.makeFilter(
  (s: { readonly policy: PolicyInput; readonly procedures?: ProceduresInput }) => {
    const error = proceduresError(s.policy, s.procedures)
    return error === undefined ? true : { path: ["procedures"], issue: error }
  },
)

/** Schema of a scenario (as counterexample files carry it inline). */
export const Scenario = Schema.Struct(scenarioFields).check(proceduresAgree)
/** A decoded scenario. */
export type Scenario = typeof Scenario.Type

/**
 * Schema of a scenario file: a scenario that may name its JSON Schema in `"$schema"` (for editors;
 * iovcheck ignores its value). Its JSON Schema is `iovcheck schema scenario`.
 */
export const ScenarioFile = Schema.Struct({
  $schema: Schema.optionalKey(Schema.String).annotate({
    description: "The JSON Schema of this file, for editors (iovcheck schema scenario); ignored by iovcheck",
  }),
  ...scenarioFields,
})
  .check(proceduresAgree)
  .annotate({
    title: "iovcheck scenario",
    description: "A design to verify: topology, vendor, policy knobs, procedure programs and its expectation",
  })
/** A decoded scenario file (a scenario and, maybe, its `$schema`). */
export type ScenarioFile = typeof ScenarioFile.Type

/** `"safe"`, `"violates a, b"` or `"-"` (no expectation). */
export const formatExpectation = (e: Expectation | undefined): string =>
  e === undefined ? "-" : e === "safe" ? "safe" : `violates ${e.violates.join(", ")}`

/** The programs a scenario's procedures run: its own where given, else its knobs' presets. */
export const scenarioPrograms = (scenario: Scenario): Programs =>
  resolvePrograms(resolvePolicy(scenario.policy), scenario.procedures)

/**
 * The services `step` needs for this scenario, as a Context. `programs` (a counterexample file's
 * recorded programs, resolved) replaces the programs the scenario would resolve to in this version.
 */
export const scenarioContext = (
  scenario: Scenario,
  programs?: Programs,
): Context.Context<Vendor | Policy | ProgramsService> => {
  const policy = resolvePolicy(scenario.policy)
  return Context.make(Vendor, vendors[scenario.vendor]).pipe(
    Context.add(Policy, policy),
    Context.add(ProgramsService, programs ?? resolvePrograms(policy, scenario.procedures)),
  )
}

/** The `Vendor`, `Policy` and `ProgramsService` services of this scenario, as a Layer (DESIGN.md §2). */
export const scenarioLayer = (scenario: Scenario): Layer.Layer<Vendor | Policy | ProgramsService> =>
  Layer.succeedContext(scenarioContext(scenario))
