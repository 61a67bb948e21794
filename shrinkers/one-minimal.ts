/**
 * Delta debugging to a 1-minimal trace (Zeller & Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", TSE 2002, algorithm ddmin): removing any single command from the result
 * loses the failure. Pure: the caller's `fails` runs the model.
 *
 * `fails(candidate)` returns the failing prefix of the candidate (the trace cut after the step that
 * fails) or `undefined` when the candidate does not fail; cutting is how a removal that makes the
 * failure happen earlier shortens the trace further. Commands are total (DESIGN.md §2), so every
 * sub-list is a valid trace.
 *
 * @module
 */

/** `fails` of a shrinker: the failing prefix of a candidate, or `undefined`. */
export type Fails<T> = (candidate: ReadonlyArray<T>) => ReadonlyArray<T> | undefined

const without = <T>(xs: ReadonlyArray<T>, start: number, end: number): ReadonlyArray<T> => [
  ...xs.slice(0, start),
  ...xs.slice(end),
]

const firstDefined = <A, B>(xs: ReadonlyArray<A>, f: (a: A) => B | undefined): B | undefined => {
  for (const x of xs) {
    const b = f(x)
    if (b !== undefined) return b
  }
  return undefined
}

/**
 * Shrinks a failing trace to a 1-minimal one. The input must fail; the result is never longer,
 * still fails, and no single command can be removed from it without losing the failure. Runs
 * `fails` O(n²) times in the worst case for a trace of n commands.
 */
export const shrinkToOneMinimal = <T>(trace: ReadonlyArray<T>, fails: Fails<T>): ReadonlyArray<T> => {
  let current = fails(trace) ?? trace
  let n = 2
  while (current.length >= 2) {
    const chunk = Math.ceil(current.length / n)
    const starts = Array.from({ length: Math.ceil(current.length / chunk) }, (_, k) => k * chunk)
    const subsetFailing = firstDefined(starts, (s) => fails(current.slice(s, s + chunk)))
    if (subsetFailing !== undefined) {
      current = subsetFailing
      n = 2
      continue
    }
    const complementFailing = firstDefined(starts, (s) => fails(without(current, s, s + chunk)))
    if (complementFailing !== undefined) {
      current = complementFailing
      n = Math.max(n - 1, 2)
      continue
    }
    if (n >= current.length) break
    n = Math.min(n * 2, current.length)
  }
  return current
}

/** Whether removing any single command from `trace` loses the failure (`trace` itself must fail). */
export const isOneMinimal = <T>(trace: ReadonlyArray<T>, fails: Fails<T>): boolean =>
  trace.every((_, i) => fails(without(trace, i, i + 1)) === undefined)
