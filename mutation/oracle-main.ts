/**
 * The oracle process, run by the mutation runner in a sandbox:
 * - `node dist/mutation/oracle-main.js baseline BUDGET_JSON WITNESSES_OUT [WITNESSES_IN]`: the
 *   baseline on the unmutated model, reusing the known witnesses that still hold; writes the
 *   witnesses file;
 * - `node dist/mutation/oracle-main.js mutant BUDGET_JSON WITNESSES_IN`: a mutant's oracle.
 *
 * Prints one JSON line, the `OracleResult` of `oracle.ts`, and exits 0; the runner reads the line
 * (a crash or a timeout leaves none).
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs"
import { Schema } from "effect"
import { runBaseline, runOracle } from "./oracle.ts"
import { OracleBudget } from "./report-schema.ts"
import { Witnesses } from "./witness.ts"

const [mode, budgetJson = "", witnessesPath = "", knownPath] = process.argv.slice(2)
const budget = Schema.decodeUnknownSync(Schema.fromJsonString(OracleBudget))(budgetJson)
const readWitnesses = (path: string) =>
  Schema.decodeUnknownSync(Schema.fromJsonString(Witnesses))(readFileSync(path, "utf8"))
if (mode === "baseline") {
  const { witnesses, ...result } = runBaseline(budget, knownPath === undefined ? [] : readWitnesses(knownPath))
  writeFileSync(witnessesPath, JSON.stringify(Schema.encodeSync(Witnesses)(witnesses)))
  process.stdout.write(`${JSON.stringify(result)}\n`)
} else {
  process.stdout.write(`${JSON.stringify(runOracle(budget, readWitnesses(witnessesPath)))}\n`)
}
