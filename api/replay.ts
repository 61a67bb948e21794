/**
 * Counterexample files for the library: read one, decode one from an object, and replay it. Replay
 * re-executes the file's commands (never its seed) under the scenario stored inside it, checking
 * every property at every step; the result is the `replay --json` document.
 *
 * @module
 */
import { type CounterexampleFile, decodeCounterexample } from "../counterexamples/counterexample-file.ts"
import { CounterexampleError, readCounterexampleFile } from "../counterexamples/read-counterexample.ts"
import { replay as replayTrace } from "../drivers/replay.ts"
import { type ReplayDocument, replayDocument } from "../reports/replay-report.ts"

export { CounterexampleError }

/**
 * Reads and decodes a counterexample file (strictly; every ID a command names must exist in the
 * inline scenario). Throws `CounterexampleError` with one line naming the file and the field.
 */
export const loadCounterexample = (path: string): CounterexampleFile => readCounterexampleFile(path)

/**
 * Decodes a counterexample from a JSON value (what `JSON.parse` gives). Throws
 * `CounterexampleError` with one line, prefixed by `origin` (default `counterexample`).
 */
export const parseCounterexample = (value: unknown, origin = "counterexample"): CounterexampleFile => {
  const decoded = decodeCounterexample(JSON.stringify(value) ?? "null")
  if (decoded._tag === "Error") throw new CounterexampleError(`${origin}: ${decoded.message}`)
  return decoded.file
}

/**
 * Replays a counterexample: every step's actor, command, outcome, events, the state that changed
 * and where each procedure in flight stands, every violation met, and the verdict (`reproduced`:
 * the recorded property at the recorded step; `clean`: no violation, the design or model was
 * fixed; `different`: other violations).
 */
export const replay = (file: CounterexampleFile): ReplayDocument => replayDocument(file, replayTrace(file))
