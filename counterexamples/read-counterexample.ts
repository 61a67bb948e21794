/**
 * Reading a counterexample file from disk: the file, or one line naming what is wrong (no such
 * file, a folder, unreadable, or the field the Schema rejects). The CLI turns the error into exit
 * 2; the library throws it.
 *
 * @module
 */
import { readFileSync } from "node:fs"
import { type CounterexampleFile, decodeCounterexample } from "./counterexample-file.ts"

/** A counterexample file that cannot be used: one line naming the file and what is wrong. */
export class CounterexampleError extends Error {
  override readonly name = "CounterexampleError"
}

/**
 * Reads and decodes a counterexample file (strictly: an unknown key, or an ID its own scenario does
 * not have, is an error). Throws `CounterexampleError`: `broken.json: not valid JSON: line 8,
 * column 15: …`, `x.json: no such file`, `edited.json: at ["commands"][7]["handle"]: …`.
 */
export const readCounterexampleFile = (path: string): CounterexampleFile => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new CounterexampleError(
      `${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a counterexample file" : `cannot read (${code ?? String(e)})`}`,
    )
  }
  const decoded = decodeCounterexample(text)
  if (decoded._tag === "Error") throw new CounterexampleError(`${path}: ${decoded.message}`)
  return decoded.file
}
