import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { putByKey } from "./keyed.ts"

interface Entry {
  readonly key: number
  readonly value: string
}
const order = (a: Entry, b: Entry) => a.key - b.key

/** What `putByKey` replaced: drop the entry of the same key, append, sort. */
const reference = (xs: ReadonlyArray<Entry>, x: Entry) => [...xs.filter((e) => e.key !== x.key), x].sort(order)

const keyed = fc
  .uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 10 })
  .map((keys) => [...keys].sort((a, b) => a - b).map((key) => ({ key, value: `v${key}` })))

describe("putByKey", () => {
  test.prop([keyed, fc.integer({ min: 0, max: 20 })])(
    "gives the filter-append-sort result, keyed and sorted, and leaves its input as it was",
    (xs, key) => {
      const before = JSON.stringify(xs)
      const x = { key, value: "new" }
      const out = putByKey(xs, x, order)
      expect(out).toEqual(reference(xs, x))
      expect(out.filter((e) => e.key === key)).toEqual([x])
      expect(out.every((e, i) => i === 0 || order(out[i - 1] as Entry, e) < 0)).toBe(true)
      expect(JSON.stringify(xs)).toBe(before)
    },
  )

  test("replaces in place, inserts at either end", () => {
    const xs = [
      { key: 2, value: "a" },
      { key: 5, value: "b" },
    ]
    expect(putByKey(xs, { key: 5, value: "c" }, order).map((e) => e.value)).toEqual(["a", "c"])
    expect(putByKey(xs, { key: 1, value: "c" }, order).map((e) => e.key)).toEqual([1, 2, 5])
    expect(putByKey(xs, { key: 9, value: "c" }, order).map((e) => e.key)).toEqual([2, 5, 9])
    expect(putByKey([], { key: 9, value: "c" }, order)).toEqual([{ key: 9, value: "c" }])
  })
})
