/**
 * The scenario catalogue: the JSON files in this folder, and scenario files users name by path.
 * I/O lives here and in the CLI, never in the model.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { type Decoded, jsonDecoder, nearest, valueDecoder } from "../reports/decode-json.ts"
import { type Scenario, ScenarioFile } from "./scenario.ts"

/** A scenario that could not be loaded: one line naming the file and what is wrong. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError"
}

/** The root of the installed iovcheck package (the folder holding its package.json). */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir)
    if (parent === dir) throw new ScenarioError("cannot find iovcheck's package.json")
    dir = parent
  }
  return dir
})()

const decodeText = jsonDecoder(ScenarioFile)
const decodeValue = valueDecoder(ScenarioFile)

/** The scenario file each scenario read from a file came from, relative to the working folder. */
const files = new WeakMap<Scenario, string>()

/**
 * The file a scenario was read from (`scenarios/sriov-ats-strict.json`, `designs/mine.json`),
 * relative to the working folder at the time; undefined for a scenario built or decoded from an
 * object. Counterexample files record it as `scenarioFile`.
 */
export const scenarioFileOf = (scenario: Scenario): string | undefined => files.get(scenario)

/** The scenario of a decoded scenario file: without its `$schema`, remembering its file. */
const fromDecoded = (decoded: Decoded<ScenarioFile>, origin: string, path: string | undefined): Scenario => {
  if (decoded._tag === "Error") throw new ScenarioError(`${origin}: ${decoded.message}`)
  const { $schema: _, ...scenario } = decoded.value
  if (path !== undefined) files.set(scenario, relative(process.cwd(), resolve(path)) || path)
  return scenario
}

/**
 * Decodes a scenario from JSON text, strictly (an unknown key at any level is an error; a
 * `"$schema"` is allowed and dropped); `origin` names the file in the error, and `path`, when
 * given, is remembered as the scenario's file ({@link scenarioFileOf}). Throws `ScenarioError`.
 */
export const parseScenario = (text: string, origin: string, path?: string): Scenario =>
  fromDecoded(decodeText(text), origin, path)

/**
 * Decodes a scenario from a JSON value (an object as `JSON.parse` gives it), with the same strict
 * rules as a file; `origin` names it in the error. Throws `ScenarioError`.
 */
export const scenarioFromValue = (value: unknown, origin = "scenario"): Scenario =>
  fromDecoded(decodeValue(value), origin, undefined)

/** Every catalogue scenario, sorted by id. Throws `ScenarioError` for a damaged catalogue file. */
export const catalogue = (): ReadonlyArray<Scenario> => {
  const dir = join(packageRoot, "scenarios")
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => parseScenario(readFileSync(join(dir, f), "utf8"), `scenarios/${f}`, join(dir, f)))
}

/**
 * Reads and decodes a scenario file. Throws `ScenarioError` with one line: no such file, a folder,
 * cannot read (the errno code), or what is wrong in it.
 */
export const readScenarioFile = (path: string): Scenario => {
  if (!existsSync(path)) throw new ScenarioError(`${path}: no such file`)
  if (statSync(path).isDirectory()) throw new ScenarioError(`${path}: a folder, not a scenario file`)
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    throw new ScenarioError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  return parseScenario(text, path, path)
}

/**
 * A catalogue id or the path of a scenario file. Throws `ScenarioError` when it is neither (one
 * line: "no such file" for a path, the nearest catalogue ids for an id), or the file is damaged.
 */
export const resolveScenario = (idOrFile: string, known: ReadonlyArray<Scenario> = catalogue()): Scenario => {
  const byId = known.find((s) => s.id === idOrFile)
  if (byId !== undefined) return byId
  const looksLikePath = /[/\\]/.test(idOrFile) || idOrFile.endsWith(".json")
  if (!existsSync(idOrFile) && !looksLikePath)
    throw new ScenarioError(
      `unknown scenario ${JSON.stringify(idOrFile)}: not a catalogue id (nearest: ${nearest(
        idOrFile,
        known.map((s) => s.id),
      ).join(", ")}; \`iovcheck scenarios\` lists them) and no such file`,
    )
  return readScenarioFile(idOrFile)
}
