/**
 * Which code of `model/` the mutation run mutates, and why the rest is left alone. Mutation testing
 * here asks "would the properties notice a change of the model's behaviour?", so it mutates the
 * behaviour (`step` and what it calls) and leaves out what only describes, validates input or feeds
 * the drivers: a mutant there says nothing about the properties' strength.
 *
 * @module
 */
import { readdirSync } from "node:fs"
import { join, relative, sep } from "node:path"

/** Files of `model/` not mutated, with the reason (paths relative to the repository root). */
export const EXCLUDED_FILES: Readonly<Record<string, string>> = {
  "model/well-formed.ts":
    "the model-defect oracle itself (state invariants checked after every step); mutating it tests the oracle, not the properties",
  "model/defect.ts": "raises model defects; part of the oracle",
  "model/event.ts": "event types and their one-line rendering; no behaviour",
  "model/command.ts": "the command schema and its rendering; decoding is tested by the corruption set",
  "model/topology.ts": "the topology schema and its input checks; decoding is tested by the corruption set",
  "model/ids.ts": "ID schemas and formatting",
  "model/program.ts": "how operations are written and printed; validation of scenario-given programs",
  "model/programs.ts":
    "resolution of scenario-given programs (the presets themselves are mutated in host/ and nesting/)",
  "model/policy.ts": "the policy schema and its defaults (a default is a design choice the sweep and catalogue pin)",
  "model/enabled.ts":
    "the drivers' command generator: a mutant there changes what the search tries, not what the model does",
  "model/outcome.ts": "outcome constructors",
  "model/init.ts": "initial state from the topology (decoding)",
}

/**
 * Functions not mutated, by name: they only render text, or read a scenario's own program (its
 * validators and the normalizers of written operations: the presets are mutated, what a user
 * writes is input), or build procedure ids.
 */
export const EXCLUDED_FUNCTION: RegExp =
  /^(describe|format|render)|ProgramError$|Pid$|^(unmap|teardown|release|reset|irte|flushQueue|pasidUpdate)Op$/

/** Why a function is excluded, for the report. */
export const EXCLUDED_FUNCTION_REASON =
  "renderers (describe*/format*/render*), validators and operation normalizers of scenario-given programs (*ProgramError, unmapOp, releaseOp, …) and procedure-id builders (*Pid)"

/** Every mutated source file of `model/` under `root`, repository-relative with `/`, sorted. */
export const mutatedFiles = (root: string): ReadonlyArray<string> => {
  const files: Array<string> = []
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory()) visit(path)
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) {
        const rel = relative(root, path).split(sep).join("/")
        if (EXCLUDED_FILES[rel] === undefined) files.push(rel)
      }
    }
  }
  visit(join(root, "model"))
  return files.sort()
}
