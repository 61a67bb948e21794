/**
 * JSON Schemas of iovcheck's input files, generated from the Effect Schemas that decode them (no
 * hand-written copy, so they follow the model as it changes): a scenario file
 * (`scenarios/scenario.ts`'s `ScenarioFile`, with `procedures` and every policy knob), a
 * counterexample file (`counterexamples/counterexample-file.ts`) and a scenario's `policy` object
 * (`model/policy.ts`). `iovcheck schema NAME` prints them; `schemas/NAME.schema.json` holds the
 * committed copies that the catalogue's `"$schema"` names, so editors complete knob names and
 * values and flag unknown keys.
 *
 * Draft-07 JSON Schema (what editors support most widely), converted by Effect from its draft
 * 2020-12 output. Objects are closed (`additionalProperties: false`), as iovcheck's decoding is
 * strict. The schemas are for editing help: the Effect decoder stays the final authority (cross-
 * field rules, such as a VF naming an existing PF, are not in them).
 *
 * @module
 */
import { JsonSchema, Schema } from "effect"
import { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { PolicySchema } from "../model/policy.ts"
import { ScenarioFile } from "../scenarios/scenario.ts"

/** The documents `iovcheck schema` prints, by name. */
export const SCHEMA_NAMES = ["scenario", "counterexample", "policy"] as const
/** The name of one of the JSON Schemas. */
export type SchemaName = (typeof SCHEMA_NAMES)[number]

const sources: Readonly<Record<SchemaName, Schema.Top>> = {
  scenario: ScenarioFile,
  counterexample: CounterexampleFile,
  policy: PolicySchema.annotate({
    title: "iovcheck policy",
    description: "A scenario's design knobs (model/policy.ts); an absent knob takes the default the specs prescribe",
  }),
}

/**
 * The JSON Schema (draft-07) of one of iovcheck's input files, as a JSON value:
 * `{ "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": …,
 * "definitions": … }`.
 */
export const jsonSchema = (name: SchemaName): Record<string, unknown> => {
  const document = JsonSchema.toDocumentDraft07(
    Schema.toJsonSchemaDocument(sources[name], { onExcessProperty: "error" }),
  )
  return {
    $schema: JsonSchema.META_SCHEMA_URI_DRAFT_07,
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { definitions: document.definitions } : {}),
  }
}

/** The JSON Schema as the text `iovcheck schema NAME` prints and `schemas/NAME.schema.json` holds. */
export const jsonSchemaText = (name: SchemaName): string => `${JSON.stringify(jsonSchema(name), null, 2)}\n`
