import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { parseDuration, parseShard, seedFor } from "./schedule.ts"

describe("fuzz schedule", () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 })])(
    "shards of one run never share a seed",
    (base, count, workers) => {
      const seeds = new Map<number, number>()
      for (let index = 1; index <= count; index++)
        for (let worker = 0; worker < workers; worker++)
          for (let round = 0; round < 50; round++) {
            const s = seedFor(base, { index, count }, workers, worker, round)
            const owner = seeds.get(s)
            expect(owner === undefined || owner === index).toBe(true)
            seeds.set(s, index)
          }
      expect(seeds.size).toBe(count * workers * 50)
    },
  )

  it("parses shards and durations, and rejects nonsense", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 })
    expect(parseShard("0/4")).toBeUndefined()
    expect(parseShard("5/4")).toBeUndefined()
    expect(parseDuration("90s")).toBe(90_000)
    expect(parseDuration("10m")).toBe(600_000)
    expect(parseDuration("soon")).toBeUndefined()
  })
})
