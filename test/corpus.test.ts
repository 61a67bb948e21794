/**
 * The corpus as regression tests: every counterexample file the project keeps in `corpus/` is
 * replayed, and must still reproduce its violation at its step (status "open", the default) or run
 * clean (status "fixed").
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { counterexampleFiles } from "../cli/fuzz.ts"
import { decodeCounterexample } from "../counterexamples/counterexample-file.ts"
import { replay } from "../drivers/replay.ts"
import { catalogue } from "../scenarios/catalogue.ts"

const files = counterexampleFiles(join(import.meta.dirname, "..", "corpus"))

describe("corpus", () => {
  it("holds a counterexample for every violation every unsafe catalogue scenario expects", () => {
    const kept = new Set(
      files.map((f) => {
        const d = decodeCounterexample(readFileSync(f, "utf8"))
        return d._tag === "Ok" ? `${d.file.scenario.id}/${d.file.property}` : f
      }),
    )
    for (const s of catalogue())
      if (s.expected !== undefined && s.expected !== "safe")
        for (const p of s.expected.violates) expect(kept.has(`${s.id}/${p}`), `${s.id}/${p}`).toBe(true)
  })

  it.each(files.map((f) => [f.split("corpus/")[1] ?? f, f]))("%s replays as recorded", (_name, path) => {
    const decoded = decodeCounterexample(readFileSync(path, "utf8"))
    expect(decoded._tag).toBe("Ok")
    if (decoded._tag !== "Ok") return
    const result = replay(decoded.file)
    expect(result.verdict).toBe(decoded.file.status === "fixed" ? "clean" : "reproduced")
  })
})
