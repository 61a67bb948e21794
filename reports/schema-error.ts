/**
 * Renders a Schema decoding failure as one line, for the CLI's "bad input" errors (a damaged
 * counterexample or scenario file must give one line naming the field, never a stack trace).
 *
 * @module
 */
import { Cause } from "effect"

/**
 * Folds Schema's multi-line message ("Expected an integer\n  at [\"commands\"][0]") into one line
 * per issue ("at [\"commands\"][0]: Expected an integer"), issues joined by "; ".
 */
export const schemaErrorLine = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const text = error instanceof Error ? error.message : String(error)
  const lines = text.split("\n")
  const parts: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim()
    const next = (lines[i + 1] ?? "").trim()
    if (line.length === 0) continue
    if (next.startsWith("at ")) {
      parts.push(`${next}: ${line}`)
      i++
    } else parts.push(line)
  }
  return parts.join("; ")
}
