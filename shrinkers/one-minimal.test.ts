import { fc, test } from "@fast-check/vitest"
import { expect } from "vitest"
import { type Fails, isOneMinimal, shrinkToOneMinimal } from "./one-minimal.ts"

/**
 * A failure model over integer traces: the trace fails once it contains every number of `needed`
 * as a subsequence in order; the failing prefix ends where the last one is found.
 */
const subsequenceFails =
  (needed: ReadonlyArray<number>): Fails<number> =>
  (candidate) => {
    let k = 0
    for (let i = 0; i < candidate.length; i++) {
      if (candidate[i] === needed[k]) k++
      if (k === needed.length) return candidate.slice(0, i + 1)
    }
    return needed.length === 0 ? [] : undefined
  }

const failingCase = fc
  .tuple(fc.array(fc.nat(9), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(9), { maxLength: 40 }))
  .chain(([needed, noise]) =>
    fc.shuffledSubarray(noise, { minLength: noise.length, maxLength: noise.length }).map((shuffled) => {
      const trace = [...shuffled]
      let at = 0
      for (const n of needed) {
        at = Math.min(trace.length, at + (n % 3))
        trace.splice(at, 0, n)
        at++
      }
      return { needed, trace }
    }),
  )

test.prop([failingCase])("never returns a longer trace, and the result still fails", ({ needed, trace }) => {
  const fails = subsequenceFails(needed)
  const shrunk = shrinkToOneMinimal(trace, fails)
  expect(shrunk.length).toBeLessThanOrEqual(trace.length)
  expect(fails(shrunk)).toEqual(shrunk)
})

test.prop([failingCase])("returns a 1-minimal trace (here: exactly the needed subsequence)", ({ needed, trace }) => {
  const fails = subsequenceFails(needed)
  const shrunk = shrinkToOneMinimal(trace, fails)
  expect(isOneMinimal(shrunk, fails)).toBe(true)
  expect(shrunk).toEqual(needed)
})

test.prop([fc.array(fc.nat(), { maxLength: 60 })])("terminates within O(n²) calls of fails", (trace) => {
  let calls = 0
  const fails: Fails<number> = (c) => {
    calls++
    return c.length > 0 && c.includes(trace[0] ?? -1) ? c : undefined
  }
  if (fails(trace) === undefined) return
  shrinkToOneMinimal(trace, fails)
  expect(calls).toBeLessThanOrEqual(4 * (trace.length + 1) ** 2 + 10)
})
