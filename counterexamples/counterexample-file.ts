/**
 * The counterexample file (DESIGN.md §7): JSON decoded with an Effect Schema, so a damaged or
 * foreign file gets one line naming the field, never a stack trace.
 *
 * Shape (format version 2):
 * ```json
 * { "format": "iovcheck-counterexample", "formatVersion": 2, "iovcheckVersion": "0.1.0",
 *   "scenario": { …the full scenario, inline… },
 *   "programs": { "unmap": ["clear-pte", { "op": "invalidate-iotlb", "scope": "range" }, …],
 *                 "irte": […], "pasid-teardown": […], "pasid-update": […],
 *                 "guest-queue": { "iotlb": […], "atc": […], "wait": […] },
 *                 "release": […], "reset": […], "flush-queue": […] },
 *   "driver": "random", "seed": 42, "path": "12:3:0",
 *   "property": "atc-coherence", "stepIndex": 5, "message": "…",
 *   "commands": [ { "_tag": "HostAssignFunction", "rid": "01:00.1", "vm": "vm1" }, … ] }
 * ```
 * Replay runs `commands`, never the seed, so a file stays valid when generators change; and it runs
 * the recorded `programs` (the program of every procedure as the run resolved it from the
 * scenario's `procedures` and its knobs' presets, every parameter explicit), never the presets of
 * the iovcheck that replays, so a file keeps its verdict when a later version changes a preset.
 * Format version 1 (no `programs`) is still read: its procedures run the programs this version
 * resolves from the scenario, as they always did. Decoding is
 * strict: an unknown key anywhere is an error, and every ID a command names (VM, RID, page, DMA
 * handle, procedure id, …) must exist in the inline scenario's topology (`command-ids.ts`). `property`
 * is a property id, or `"model-defect"` for a defect of the model found with this trace. `driver`
 * is `"random"` (with the fast-check `seed` and `path`) or `"explore"` (a shortest counterexample
 * from breadth-first search; no seed). `status` (optional) records a corpus file's verdict: `"open"`
 * (default: the violation must still reproduce) or `"fixed"` (the trace must now run clean).
 * `scenarioFile` (optional) names the scenario file the run read, relative to where it ran
 * (information for the reader: replay uses the inline scenario).
 *
 * @module
 */
import { Schema } from "effect"
import { Command } from "../model/command.ts"
import { resolvePolicy } from "../model/policy.ts"
import {
  type Programs,
  programsError,
  type RecordedPrograms,
  RecordedProgramsSchema,
  recordedPrograms,
  resolvePrograms,
} from "../model/programs.ts"
import { propertyIds } from "../properties/catalogue.ts"
import { parseJsonText, valueDecoder } from "../reports/decode-json.ts"
import { commandIdIssue } from "./command-ids.ts"
import { scenarioFileOf } from "../scenarios/catalogue.ts"
import { Scenario, scenarioPrograms } from "../scenarios/scenario.ts"

/** The format version this iovcheck writes (2: with the recorded `programs`). */
export const FORMAT_VERSION = 2

/** The format versions this iovcheck reads: 1 (no recorded programs) and 2. */
export const FORMAT_VERSIONS = [1, 2] as const

/** Schema of a counterexample file. */
export const CounterexampleFile = Schema.Struct({
  format: Schema.Literal("iovcheck-counterexample"),
  formatVersion: Schema.Literals(FORMAT_VERSIONS).annotate({
    message: `Expected formatVersion ${FORMAT_VERSIONS.join(" or ")} (the formats this iovcheck reads)`,
  }),
  iovcheckVersion: Schema.String,
  scenario: Scenario.annotate({ description: "The full scenario, inline: replay needs no catalogue" }),
  programs: Schema.optionalKey(RecordedProgramsSchema).annotate({
    description:
      "Format version 2: the program of every procedure as the run resolved it; replay runs these, not this version's presets",
  }),
  scenarioFile: Schema.optionalKey(Schema.String).annotate({
    description: "The scenario file the run read, relative to where it ran (information only)",
  }),
  driver: Schema.Literals(["random", "explore"]),
  seed: Schema.optionalKey(Schema.Int),
  path: Schema.optionalKey(Schema.String),
  property: Schema.Literals([...propertyIds, "model-defect"]).annotate({
    message: `Expected a known property id (${propertyIds.join(", ")}) or model-defect`,
  }),
  stepIndex: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  message: Schema.String,
  commands: Schema.Array(Command),
  status: Schema.optionalKey(Schema.Literals(["open", "fixed"])),
})
  .check(
    Schema.makeFilter((f: { readonly stepIndex: number; readonly commands: ReadonlyArray<unknown> }) =>
      f.stepIndex < f.commands.length
        ? true
        : `stepIndex ${f.stepIndex} is past the last of ${f.commands.length} commands`,
    ),
    // Version 2 records the programs; version 1 predates them.
    Schema.makeFilter((f: { readonly formatVersion: 1 | 2; readonly programs?: RecordedPrograms }) =>
      f.formatVersion === 2 && f.programs === undefined
        ? { path: ["programs"], issue: "Missing key (formatVersion 2 records the programs the run used)" }
        : f.formatVersion === 1 && f.programs !== undefined
          ? { path: ["programs"], issue: "formatVersion 1 records no programs (a version 2 file says formatVersion 2)" }
          : true,
    ),
    // The recorded programs can run (no clash with the knobs is asked: they were resolved from them).
    Schema.makeFilter((f: { readonly scenario: Scenario; readonly programs?: RecordedPrograms }) => {
      if (f.programs === undefined) return true
      const error = programsError(f.scenario.policy, f.programs, "programs")
      return error === undefined ? true : { path: ["programs"], issue: error }
    }),
    // Every ID a command names exists in the inline scenario's topology (`command-ids.ts`).
    Schema.makeFilter((f: { readonly scenario: Scenario; readonly commands: ReadonlyArray<Command> }) =>
      commandIdIssue(f.scenario.topology, f.commands),
    ),
  )
  .annotate({
    title: "iovcheck counterexample",
    description: "A shrunk trace that violates a property, with its scenario inline (iovcheck replay FILE)",
  })
/** A decoded counterexample file. */
export type CounterexampleFile = typeof CounterexampleFile.Type

const decode = valueDecoder(CounterexampleFile)

/**
 * Decodes the text of a counterexample file. Returns the file, or a one-line message naming what
 * is wrong (`at ["commands"][3]["iova"]: Expected an integer`); a JSON document of another kind is
 * named as such before its keys are judged.
 */
export const decodeCounterexample = (
  text: string,
):
  | { readonly _tag: "Ok"; readonly file: CounterexampleFile }
  | { readonly _tag: "Error"; readonly message: string } => {
  const parsed = parseJsonText(text)
  if (parsed._tag === "Error") return parsed
  const format =
    typeof parsed.value === "object" && parsed.value !== null
      ? (parsed.value as { format?: unknown }).format
      : undefined
  if (format !== "iovcheck-counterexample")
    return {
      _tag: "Error",
      message: `not an iovcheck counterexample file: at ["format"]: expected "iovcheck-counterexample", got ${format === undefined ? "none" : JSON.stringify(format)}`,
    }
  const decoded = decode(parsed.value)
  return decoded._tag === "Ok" ? { _tag: "Ok", file: decoded.value } : decoded
}

/** Encodes a counterexample as pretty JSON text. */
export const encodeCounterexample = (file: CounterexampleFile): string =>
  `${JSON.stringify(Schema.encodeSync(CounterexampleFile)(file), null, 2)}\n`

/**
 * The programs a replay of `file` runs: its recorded `programs` (format version 2), else (version
 * 1) what this version resolves from the scenario's `procedures` and knobs.
 */
export const counterexamplePrograms = (file: Pick<CounterexampleFile, "scenario" | "programs">): Programs =>
  file.programs === undefined
    ? scenarioPrograms(file.scenario)
    : resolvePrograms(resolvePolicy(file.scenario.policy), file.programs)

/**
 * `file` under `scenario` in place of its own (the vitest integration replays a stored trace under
 * the design as it is now): format version 2, recording the programs `scenario` resolves to in
 * this version, so an edited `procedures` or knob takes effect.
 */
export const underScenario = (file: CounterexampleFile, scenario: Scenario): CounterexampleFile => ({
  ...file,
  formatVersion: FORMAT_VERSION,
  scenario,
  programs: recordedPrograms(scenarioPrograms(scenario)),
})

/** `{ scenarioFile }` when the scenario was read from a file, else nothing. */
const withScenarioFile = (scenario: Scenario): { readonly scenarioFile?: string } => {
  const file = scenarioFileOf(scenario)
  return file === undefined ? {} : { scenarioFile: file }
}

/**
 * The counterexample file of a violation the random driver found (`drivers/random.ts`'s
 * `Violation`: its commands, step, message, seed and fast-check path), with the programs the run
 * used (the scenario's, resolved).
 */
export const counterexampleOf = (
  scenario: Scenario,
  v: {
    readonly property: string
    readonly stepIndex: number
    readonly message: string
    readonly commands: CounterexampleFile["commands"]
    readonly seed: number
    readonly path: string
  },
  iovcheckVersion: string,
): CounterexampleFile => ({
  format: "iovcheck-counterexample",
  formatVersion: FORMAT_VERSION,
  iovcheckVersion,
  scenario,
  programs: recordedPrograms(scenarioPrograms(scenario)),
  ...withScenarioFile(scenario),
  driver: "random",
  seed: v.seed,
  path: v.path,
  property: v.property,
  stepIndex: v.stepIndex,
  message: v.message,
  commands: v.commands,
})

/**
 * The counterexample file of a shortest violation the explorer found (driver `"explore"`, no seed):
 * its commands and message, and the programs the run used; the violating step is the last.
 */
export const exploreCounterexampleOf = (
  scenario: Scenario,
  v: { readonly property: string; readonly message: string; readonly commands: CounterexampleFile["commands"] },
  iovcheckVersion: string,
): CounterexampleFile => ({
  format: "iovcheck-counterexample",
  formatVersion: FORMAT_VERSION,
  iovcheckVersion,
  scenario,
  programs: recordedPrograms(scenarioPrograms(scenario)),
  ...withScenarioFile(scenario),
  driver: "explore",
  property: v.property,
  stepIndex: v.commands.length - 1,
  message: v.message,
  commands: v.commands,
})
