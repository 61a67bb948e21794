/**
 * The identity of a finding: (scenario, property, canonical shrunk trace). The shrinkers renumber
 * IDs canonically, so the same bug found by two workers, shards or nights gets the same key.
 *
 * @module
 */
import type { CounterexampleFile } from "../../counterexamples/counterexample-file.ts"

/** The deduplication key of a counterexample. */
export const findingKey = (file: CounterexampleFile): string =>
  `${file.scenario.id}|${file.property}|${JSON.stringify(file.commands)}`

/** A short stable name for a finding's files: `<property>-<8 hex digits of its key>`. */
export const findingName = (file: CounterexampleFile): string => {
  let h = 0x811c9dc5
  for (const c of findingKey(file)) h = Math.imul(h ^ c.charCodeAt(0), 16777619)
  return `${file.property}-${(h >>> 0).toString(16).padStart(8, "0")}`
}
