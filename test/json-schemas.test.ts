/**
 * The JSON Schemas of `iovcheck schema`: the committed copies under `schemas/` are what the command
 * generates from the Effect Schemas (the same JSON; regenerate with `npm run schemas`), every catalogue file names
 * the scenario schema in `"$schema"` and validates against it, and a validator (as an editor runs
 * one) flags a misspelt knob and a knob's unknown value.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Ajv } from "ajv"
import { describe, expect, it } from "vitest"
import { jsonSchema, jsonSchemaText, SCHEMA_NAMES } from "../api/json-schemas.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { runInProcess } from "./run-cli.ts"

const root = join(import.meta.dirname, "..")
const scenarioFiles = readdirSync(join(root, "scenarios")).filter((f) => f.endsWith(".json"))
const validator = (name: (typeof SCHEMA_NAMES)[number]) => new Ajv({ allErrors: true }).compile(jsonSchema(name))

describe("JSON Schemas", () => {
  it.each(SCHEMA_NAMES)("schemas/%s.schema.json is what `iovcheck schema` generates", async (name) => {
    // Compared as JSON values: Biome formats the committed copy (arrays on one line).
    const committed = JSON.parse(readFileSync(join(root, "schemas", `${name}.schema.json`), "utf8"))
    expect(committed, "regenerate with: npm run schemas").toEqual(jsonSchema(name))
    const printed = await runInProcess("schema", name)
    expect(printed.code).toBe(0)
    expect(printed.stdout).toBe(jsonSchemaText(name))
  })

  it("the scenario schema has every policy knob with its values, and the procedures", () => {
    const schema = jsonSchema("scenario") as {
      properties: Record<string, { properties?: Record<string, { enum?: ReadonlyArray<string> }> }>
    }
    expect(schema.properties.policy?.properties?.atcInvalidation?.enum).toEqual(["on", "skip"])
    expect(Object.keys(schema.properties.policy?.properties ?? {})).toEqual(
      Object.keys((jsonSchema("policy") as { properties: object }).properties),
    )
    expect(Object.keys(schema.properties.procedures?.properties ?? {})).toContain("unmap")
  })

  it("every catalogue file names the scenario schema and validates against it", () => {
    const validate = validator("scenario")
    for (const f of scenarioFiles) {
      const value = JSON.parse(readFileSync(join(root, "scenarios", f), "utf8")) as { $schema?: string }
      expect(value.$schema, f).toBe("../schemas/scenario.schema.json")
      expect(validate(value), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true)
    }
    // iovcheck itself ignores the key: the decoded scenario has none.
    expect(catalogue().every((s) => !("$schema" in s))).toBe(true)
  })

  it("flags a misspelt knob and an unknown value, as an editor would", () => {
    const validate = validator("scenario")
    const good = JSON.parse(readFileSync(join(root, "scenarios", "sriov-ats-strict.json"), "utf8"))
    expect(validate({ ...good, policy: { atcInvalidaton: "on" } })).toBe(false)
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: "/policy",
        keyword: "additionalProperties",
        params: { additionalProperty: "atcInvalidaton" },
      }),
    )
    expect(validate({ ...good, policy: { atcInvalidation: "of" } })).toBe(false)
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ instancePath: "/policy/atcInvalidation", keyword: "enum" }),
    )
  })

  it("every corpus counterexample validates against the counterexample schema", () => {
    const validate = validator("counterexample")
    const dir = join(root, "corpus")
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json"))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      const value = JSON.parse(readFileSync(join(dir, f), "utf8"))
      expect(validate(value), `${f}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true)
    }
  })
})
