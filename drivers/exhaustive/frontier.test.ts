import { describe, expect, it } from "vitest"
import { Frontier, levelStore } from "./frontier.ts"

/** A pure model of pairs: command `i` adds `i + 1` to the first component and counts the step. */
const pairs = {
  enabled: (s: readonly [number, number]) => [0, 1, 2].slice(0, 1 + (s[0] % 3)),
  next: (s: readonly [number, number], c: number) => ({ state: [s[0] + c + 1, s[1] + 1] as const }),
}

/** Level 1 of `pairs` from [0, 0] and [1, 0], as states; level 2 as references into it, rebuilt with `model`. */
const twoLevels = (model: typeof pairs = pairs) => {
  const level1 = Frontier.of<readonly [number, number], number>(
    [
      [0, 0],
      [1, 0],
    ],
    [10, 11],
  )
  const level2 = new Frontier(level1, model)
  const expected: Array<readonly [number, number]> = []
  for (let f = 0; f < level1.size; f++) {
    const parent = level1.state(f)
    pairs.enabled(parent).forEach((c, k) => {
      level2.pushReference(f, k, 100 + expected.length)
      expected.push(pairs.next(parent, c).state)
    })
  }
  return { level2, expected }
}

describe("a frontier", () => {
  it("keeps the last level counted, the two before it as references, the rest as states", () => {
    expect([1, 2, 3, 4, 5].map((d) => levelStore(d, 5))).toEqual([
      "states",
      "states",
      "references",
      "references",
      "count",
    ])
    expect(levelStore(1, 1)).toBe("count")
    expect(levelStore(1, 2)).toBe("references")
    expect(levelStore(1, 3)).toBe("references")
    expect(levelStore(1, 4)).toBe("states")
  })

  it("rebuilds a reference into a level of references through both, each parent once for its children", () => {
    let transitions = 0
    const counting = {
      enabled: pairs.enabled,
      next: (s: readonly [number, number], c: number) => {
        transitions++
        return pairs.next(s, c)
      },
    }
    const { level2, expected: parents } = twoLevels(counting)
    const level3 = new Frontier(level2, counting)
    const expected: Array<readonly [number, number]> = []
    for (const [f, parent] of parents.entries())
      for (const [k, c] of pairs.enabled(parent).entries()) {
        level3.pushReference(f, k, 1000 + expected.length)
        expected.push(pairs.next(parent, c).state)
      }
    transitions = 0
    expect(expected.map((_, i) => level3.state(i))).toEqual(expected)
    // In order: one transition per state read, and one per parent (rebuilt once for its children).
    expect(transitions).toBe(expected.length + parents.length)
    const reversed = expected.map((_, i) => expected.length - 1 - i)
    expect(reversed.map((i) => level3.state(i))).toEqual(reversed.map((i) => expected[i]))
    const n = expected.length
    expect(level3.takeLast(2)).toEqual({ states: expected.slice(-2), ids: [1000 + n - 2, 1000 + n - 1] })
  })

  it("rebuilds each referenced state from its parent and command, in order and out of order", () => {
    const { level2, expected } = twoLevels()
    expect(level2.size).toBe(3)
    expect(expected.map((_, i) => level2.state(i))).toEqual(expected)
    expect([2, 0, 1].map((i) => level2.state(i))).toEqual([2, 0, 1].map((i) => expected[i]))
    expect(level2.ids).toEqual([100, 101, 102])
  })

  it("hands over its last entries as states, rebuilt, and takes others' states after its own", () => {
    const { level2, expected } = twoLevels()
    expect(level2.takeLast(2)).toEqual({ states: expected.slice(1), ids: [101, 102] })
    level2.append([[7, 7]], [200])
    expect([level2.state(0), level2.state(1)]).toEqual([expected[0], [7, 7]])
    expect(level2.ids).toEqual([100, 200])
  })

  it("refuses references without a parent level, and a reference whose command has no successor", () => {
    expect(() => new Frontier<number, number>().pushReference(0, 0, 1)).toThrow(/without a parent level/)
    const broken = new Frontier(Frontier.of<number, number>([0], [0]), {
      enabled: () => [0],
      next: () => ({ state: undefined }),
    })
    broken.pushReference(0, 0, 1)
    expect(() => broken.state(0)).toThrow(/no successor/)
  })
})
