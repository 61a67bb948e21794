/**
 * The part of the state a step changed, as lines `path: old → new` (STYLE.md: replay prints "the
 * state that changed at each step", a diff, not the whole state). Collections keyed by pid (a
 * procedure keeps one name), (RID, PASID), RID, VM (and table), (DID, IOVA), DID or handle are
 * compared element by element under the first of those keys unique on both sides; IOVAs print in
 * hex.
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import type { State } from "../model/state.ts"

/** Candidate keys of a collection, most specific first; the first one unique on both sides is used. */
const KEYS: ReadonlyArray<ReadonlyArray<string>> = [
  ["pid"],
  ["rid", "pasid"],
  ["rid"],
  ["vm", "table"],
  ["vm"],
  ["did", "iova"],
  ["did"],
  ["handle"],
  ["id"],
]

const show = (v: unknown): string =>
  v === undefined
    ? "—"
    : JSON.stringify(v, (k, x) =>
        (k === "iova" || k === "base" || k === "gpa") && typeof x === "number" ? formatIova(x) : x,
      )

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** The key of an element (its fields joined by "/"); IOVAs in hex. */
const keyText = (x: unknown, key: ReadonlyArray<string>): string =>
  key
    .map((k) => {
      const v = (x as Record<string, unknown>)[k]
      return k === "iova" && typeof v === "number" ? formatIova(v) : String(v)
    })
    .join("/")

const uniqueUnder = (xs: ReadonlyArray<unknown>, key: ReadonlyArray<string>): boolean =>
  new Set(xs.map((x) => keyText(x, key))).size === xs.length

const keyOf = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): ReadonlyArray<string> | undefined =>
  KEYS.find(
    (key) =>
      a.length + b.length > 0 &&
      [...a, ...b].every((x) => isRecord(x) && key.every((k) => k in x)) &&
      uniqueUnder(a, key) &&
      uniqueUnder(b, key),
  )

const walkDiff = (path: string, a: unknown, b: unknown, out: Array<string>): void => {
  if (show(a) === show(b)) return
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = keyOf(a, b)
    if (key !== undefined) {
      const byKey = (xs: ReadonlyArray<unknown>) => new Map(xs.map((x) => [keyText(x, key), x]))
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
