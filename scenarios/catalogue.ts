/**
 * The scenario catalogue: the JSON files in this folder, and scenario files users name by path.
 * I/O lives here and in the CLI, never in the model.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { jsonDecoder, nearest } from "../reports/decode-json.ts"
import { Scenario } from "./scenario.ts"

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

const decodeScenario = jsonDecoder(Scenario)

/**
 * Decodes a scenario from JSON text, strictly (an unknown key at any level is an error); `origin`
 * names the file in the error. Throws `ScenarioError`.
 */
export const parseScenario = (text: string, origin: string): Scenario => {
  const decoded = decodeScenario(text)
  if (decoded._tag === "Ok") return decoded.value
  throw new ScenarioError(`${origin}: ${decoded.message}`)
}

/** Every catalogue scenario, sorted by id. Throws `ScenarioError` for a damaged catalogue file. */
export const catalogue = (): ReadonlyArray<Scenario> => {
  const dir = join(packageRoot, "scenarios")
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => parseScenario(readFileSync(join(dir, f), "utf8"), `scenarios/${f}`))
}

/**
 * A catalogue id or the path of a scenario file. Throws `ScenarioError` when it is neither (one
 * line: "no such file" for a path, the nearest catalogue ids for an id), or the file is damaged.
 */
export const resolveScenario = (idOrFile: string, known: ReadonlyArray<Scenario> = catalogue()): Scenario => {
  const byId = known.find((s) => s.id === idOrFile)
  if (byId !== undefined) return byId
  const looksLikePath = /[/\\]/.test(idOrFile) || idOrFile.endsWith(".json")
  if (!existsSync(idOrFile))
    throw new ScenarioError(
      looksLikePath
        ? `${idOrFile}: no such file`
        : `unknown scenario ${JSON.stringify(idOrFile)}: not a catalogue id (nearest: ${nearest(
            idOrFile,
            known.map((s) => s.id),
          ).join(", ")}; \`iovcheck scenarios\` lists them) and no such file`,
    )
  if (statSync(idOrFile).isDirectory()) throw new ScenarioError(`${idOrFile}: a folder, not a scenario file`)
  let text: string
  try {
    text = readFileSync(idOrFile, "utf8")
  } catch (e) {
    throw new ScenarioError(`${idOrFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
  }
  return parseScenario(text, idOrFile)
}
