/**
 * The catalogue's pins are complete and deep enough (issue 19), checked statically: every unsafe
 * scenario has a safe sibling in the catalogue and pins the shortest counterexample of each
 * property it expects (unless listed in `SHORTEST_GAPS`); every safe scenario pins a cheap exploration (`scenarios-safe.test.ts` runs
 * it); every sibling pins a bounded `proof` at least two commands deeper than the longest shortest
 * counterexample of the unsafe scenarios it is the sibling of, unless it is a listed gap
 * (`PROOF_GAPS`). `npm run prove` re-derives the deep pins (`pins.prove.ts`).
 */
import { describe, expect, it } from "vitest"
import { catalogue } from "../scenarios/catalogue.ts"
import { PROOF_GAPS, requiredProofDepth, SAFE_SIBLINGS, SHORTEST_GAPS, safeSiblingOf } from "../scenarios/siblings.ts"

const all = catalogue()
const unsafe = all.filter((s) => s.expected !== undefined && s.expected !== "safe")
const safe = all.filter((s) => s.expected === "safe")

describe("catalogue pins", () => {
  it.each(unsafe.map((s) => [s.id, s] as const))("%s has a safe sibling and pins its shortest lengths", (_id, s) => {
    expect(safeSiblingOf(s, all)?.expected).toBe("safe")
    const expected = s.expected === undefined || s.expected === "safe" ? [] : s.expected.violates
    const gap = SHORTEST_GAPS[s.id]
    if (gap !== undefined) {
      expect(s.shortest, "a listed gap that is pinned").toBeUndefined()
      expect(Object.keys(gap.shrunk).sort(), "a listed gap's shrunk lengths").toEqual([...expected].sort())
    } else expect(Object.keys(s.shortest ?? {}).sort()).toEqual([...expected].sort())
  })

  it.each(safe.map((s) => [s.id, s] as const))(
    "%s pins an exploration, and a proof deep enough or a listed gap",
    (_id, s) => {
      expect(s.exploration).toBeDefined()
      expect(s.proof, "a bounded proof for npm run prove").toBeDefined()
      const required = requiredProofDepth(s, all)
      if (required === undefined) return
      if (s.id in PROOF_GAPS) expect(s.proof?.depth ?? 0, "a listed gap that is closed").toBeLessThan(required)
      else expect(s.proof?.depth ?? 0).toBeGreaterThanOrEqual(required)
    },
  )

  it("names only catalogue scenarios as siblings", () => {
    const ids = new Set(all.map((s) => s.id))
    expect(Object.entries(SAFE_SIBLINGS).filter(([u, s]) => !ids.has(u) || !ids.has(s))).toEqual([])
  })

  it("lists as gaps only catalogue scenarios the rules apply to", () => {
    // A proof gap is a safe scenario that is some unsafe scenario's sibling; a shortest gap an
    // unsafe one: an entry for a renamed, removed or unrelated scenario would outlive its cause.
    expect(
      Object.keys(PROOF_GAPS).filter((id) => !safe.some((s) => s.id === id && requiredProofDepth(s, all))),
    ).toEqual([])
    expect(Object.keys(SHORTEST_GAPS).filter((id) => !unsafe.some((s) => s.id === id))).toEqual([])
  })
})
