/**
 * `iovcheck schema scenario|counterexample|policy`: prints the JSON Schema (draft-07) of a scenario
 * file, a counterexample file or a scenario's `policy` object, generated from the Effect Schemas
 * that decode them (`api/json-schemas.ts`). Point a scenario file's `"$schema"` at the saved output
 * and an editor completes knob names and values and flags unknown keys. Exit 0, or 2 for an
 * unknown name.
 *
 * @module
 */
import { Console, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { jsonSchemaText, SCHEMA_NAMES } from "../api/json-schemas.ts"
import { ExitCode, exitWith } from "./exit-codes.ts"

/** The `schema` command. */
export const schemaCommand = Command.make(
  "schema",
  {
    name: Argument.Literals("name", SCHEMA_NAMES).pipe(
      Argument.withDescription(`Which file's schema: ${SCHEMA_NAMES.join(", ")}`),
    ),
  },
  ({ name }) =>
    Effect.gen(function* () {
      yield* Console.log(jsonSchemaText(name).trimEnd())
      yield* exitWith(ExitCode.ok)
    }),
).pipe(
  Command.withShortDescription("Print the JSON Schema of a scenario file, a counterexample file or a policy"),
  Command.withDescription(
    `Print the JSON Schema (draft-07) of a scenario file, a counterexample file or a scenario's policy, generated from the Effect Schemas that decode them (${SCHEMA_NAMES.join(", ")}). Exit 0, or 2 for an unknown name`,
  ),
)
