/**
 * The part of the state a step changed, as lines `path: old → new` (STYLE.md: replay prints "the
 * state that changed at each step", a diff, not the whole state). Collections keyed by RID, DID,
 * pid, VM or handle id are compared element by element under their key; IOVAs print in hex.
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import type { State } from "../model/state.ts"

const KEYS = ["rid", "pid", "did", "vm", "id"] as const

const show = (v: unknown): string =>
  v === undefined ? "—" : JSON.stringify(v, (k, x) => (k === "iova" && typeof x === "number" ? formatIova(x) : x))

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const keyOf = (xs: ReadonlyArray<unknown>): (typeof KEYS)[number] | undefined =>
  KEYS.find((k) => xs.length > 0 && xs.every((x) => isRecord(x) && k in x))

const walkDiff = (path: string, a: unknown, b: unknown, out: Array<string>): void => {
  if (show(a) === show(b)) return
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = keyOf([...a, ...b])
    if (key !== undefined) {
      const byKey = (xs: ReadonlyArray<unknown>) =>
        new Map(xs.map((x) => [String((x as Record<string, unknown>)[key]), x]))
      const ma = byKey(a)
      const mb = byKey(b)
      for (const k of [...new Set([...ma.keys(), ...mb.keys()])].sort())
        walkDiff(`${path}[${k}]`, ma.get(k), mb.get(k), out)
      return
    }
    if (a.length === b.length && a.every((x) => !isRecord(x) && !Array.isArray(x))) {
      for (const [i, x] of a.entries()) walkDiff(`${path}[${i}]`, x, b[i], out)
      return
    }
  } else if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])]) walkDiff(`${path}.${k}`, a[k], b[k], out)
    return
  }
  out.push(`${path}: ${show(a)} → ${show(b)}`)
}

/** Lines naming each changed part of the state, in a stable order; empty when nothing changed. */
export const diffState = (before: State, after: State): ReadonlyArray<string> => {
  if (before === after) return []
  const out: Array<string> = []
  for (const k of Object.keys(before) as Array<keyof State>) walkDiff(k, before[k], after[k], out)
  return out
}
