/**
 * The structural fingerprint decides which states the explorer counts as one: it must equate
 * exactly the values its documented equivalence equates (key order ignored above `LEAF_DEPTH`,
 * JSON text below it), whatever it caches on the objects it has seen.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fingerprintValue } from "./fingerprint.ts"

/** The documented equivalence, as a canonical string: equal strings, equal fingerprints. */
const canonical = (v: unknown, depth = 0): string => {
  if (typeof v === "number")
    return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? `i${v === 0 ? 0 : v}` : `n${String(v)}`
  if (typeof v === "string") return `s${JSON.stringify(v)}`
  if (typeof v === "boolean") return `b${v}`
  if (v === undefined) return "u"
  if (v === null) return "null"
  if (depth >= 2) return `j${JSON.stringify(v)}`
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, depth + 1)).join(",")}]`
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x, depth + 1)}`)
    .sort()
  return `{${entries.join(",")}}`
}

const same = (a: unknown, b: unknown): boolean => {
  const x = fingerprintValue(a)
  const y = fingerprintValue(b)
  return x.hi === y.hi && x.lo === y.lo
}

const leaf = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0, 2 ** 40, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constantFrom("vm1", "vm2", "01:00.1", "", "a\u00e9"),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
)
const keys = fc.constantFrom("a", "b", "rid", "ptes", "1")
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(keys, tie("value"), { maxKeys: 4 }),
  ),
}))

/** A copy of `v` with the keys of every object in an order given by `seed` (same value, new objects). */
const reordered = (v: unknown, seed: number): unknown => {
  if (v === null || typeof v !== "object") return v
  if (Array.isArray(v)) return v.map((x, i) => reordered(x, seed + i))
  const entries = Object.entries(v as Record<string, unknown>)
  if (seed % 2 === 1) entries.reverse()
  return Object.fromEntries(entries.map(([k, x], i) => [k, reordered(x, seed * 3 + i)]))
}

describe("fingerprintValue", () => {
  it("equates exactly the values the equivalence equates", () => {
    fc.assert(
      fc.property(value, value, fc.nat(), (a, b, seed) => {
        expect(same(a, b)).toBe(canonical(a) === canonical(b))
        const c = reordered(a, seed)
        expect(same(a, c)).toBe(canonical(a) === canonical(c))
      }),
      { numRuns: 2000, seed: 19 },
    )
  })

  it("keeps the equivalence for values fingerprinted before (a cached part is never reused for a copy)", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        fingerprintValue(a)
        fingerprintValue(b)
        const state = { x: a, y: [a, b] }
        fingerprintValue(state)
        const copies = { x: reordered(a, 1), y: [b, a] }
        expect(same(state, copies)).toBe(canonical(state) === canonical(copies))
      }),
      { numRuns: 1000, seed: 20 },
    )
  })

  it("gives a spread copy of a fingerprinted part its own fingerprint", () => {
    const fn = { rid: "01:00.1", owner: "vm1", ats: { atc: [{ iova: 4096, page: 0 }] } }
    const state = { functions: [fn] }
    const before = fingerprintValue(state)
    const moved = { functions: [{ ...fn, owner: "vm2" }] }
    expect(fingerprintValue(moved)).not.toEqual(before)
    expect(fingerprintValue({ functions: [{ ...fn }] })).toEqual(before)
  })

  it("leaves no trace a program sees: JSON text and keys are unchanged", () => {
    const state = { functions: [{ rid: "01:00.1", ats: { atc: [] } }], iommu: { context: [{ rid: "01:00.1" }] } }
    const text = JSON.stringify(state)
    fingerprintValue(state)
    expect(JSON.stringify(state)).toBe(text)
    expect(Object.keys(state.functions[0] as object)).toEqual(["rid", "ats"])
  })
})
