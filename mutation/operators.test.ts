/** The mutant generator on a small module: each operator, stable ids, text edits that apply. */
import { describe, expect, it } from "vitest"
import { applyMutant, mutantsOf } from "./operators.ts"

const SOURCE = `import { unchanged, rejected } from "../outcome.ts"

export const start = (state: State, rid: string): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined) return unchanged(state, rejected("no such function"))
  const r = iotlbInvalidate(state.iommu.iotlb, fn.did, undefined)
  return go(state, r.iotlb)
}

export const preset = (policy: Policy): ReadonlyArray<Op> => [
  { op: "clear-pte" },
  { op: "invalidate-iotlb", scope: "range" },
  waitAtcOp("wait-atc", policy),
]

const sorted = (xs: Array<{ rid: string }>) => xs.sort((a, b) => (a.rid < b.rid ? -1 : 1))

export const describeIt = (x: number): string => (x === 0 ? "none" : "some")
`

describe("mutantsOf", () => {
  const mutants = mutantsOf("model/x.ts", SOURCE)
  const ids = mutants.map((m) => m.id)

  it("generates every operator, with ids by function, operator and rank", () => {
    expect(ids).toEqual([
      "model/x.ts#start/flip-comparison/0",
      "model/x.ts#start/drop-guard/0",
      "model/x.ts#start/flip-comparison/1",
      "model/x.ts#start/skip-invalidation/0",
      "model/x.ts#preset/program-drop/0",
      "model/x.ts#preset/program-drop/1",
      "model/x.ts#preset/program-drop/2",
      "model/x.ts#preset/program-swap/0",
      "model/x.ts#preset/program-swap/1",
    ])
  })

  it("leaves ordering comparators and renderers alone", () => {
    expect(ids.some((id) => id.includes("sorted") || id.includes("describeIt"))).toBe(false)
  })

  it("drops a guard with its line", () => {
    const m = mutants.find((x) => x.id === "model/x.ts#start/drop-guard/0")
    expect(m && applyMutant(SOURCE, m)).not.toContain("no such function")
    expect(m && applyMutant(SOURCE, m)).toContain(
      "  const fn = state.functions.find((f) => f.rid === rid)\n  const r =",
    )
  })

  it("replaces an invalidation by what it returns when it drops nothing", () => {
    const m = mutants.find((x) => x.operator === "skip-invalidation")
    expect(m?.replacement).toBe("({ iotlb: state.iommu.iotlb, dropped: [] })")
  })

  it("drops and swaps operations of a preset program", () => {
    const drop = mutants.find((x) => x.id === "model/x.ts#preset/program-drop/2")
    expect(drop && applyMutant(SOURCE, drop)).toContain(`{ op: "invalidate-iotlb", scope: "range" },\n]`)
    const swap = mutants.find((x) => x.id === "model/x.ts#preset/program-swap/0")
    expect(swap && applyMutant(SOURCE, swap)).toContain(
      `[\n  { op: "invalidate-iotlb", scope: "range" },\n  { op: "clear-pte" },\n  waitAtcOp`,
    )
  })

  it("flips a comparison's operator only", () => {
    const m = mutants.find((x) => x.id === "model/x.ts#start/flip-comparison/1")
    expect(m?.original).toBe("===")
    expect(m && applyMutant(SOURCE, m)).toContain("if (fn !== undefined) return unchanged")
  })

  it("refuses to apply a mutant to a file that changed", () => {
    const m = mutants[0]
    expect(() => m && applyMutant(`// moved\n${SOURCE}`, m)).toThrow(/changed since/)
  })
})
