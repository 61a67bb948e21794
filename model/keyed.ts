/**
 * The model's keyed collections: arrays sorted strictly by a key, one entry per key (every
 * collection in `State` is, so equal states are equal structurally and fingerprint alike). One way
 * to put an entry into one, shared by the IOMMU's tables and caches, the ATC, the host's procedures
 * and the guests' records.
 *
 * @module
 */

/**
 * `xs` with `x` in its key's place: the entry whose key equals `x`'s (`order(e, x) === 0`) replaced
 * by `x`, or `x` inserted before the first entry ordered after it. `xs` must be sorted strictly by
 * `order` (as every keyed collection of the model is); it is not changed: the result is a new
 * array. Linear in `xs.length`, one allocation (the filter-append-sort it replaces made two and
 * sorted).
 */
export const putByKey = <T>(xs: ReadonlyArray<T>, x: T, order: (a: T, b: T) => number): ReadonlyArray<T> => {
  const n = xs.length
  let i = 0
  while (i < n && order(xs[i] as T, x) < 0) i++
  const replace = i < n && order(xs[i] as T, x) === 0
  const out: Array<T> = xs.slice(0, i)
  out.push(x)
  for (let j = replace ? i + 1 : i; j < n; j++) out.push(xs[j] as T)
  return out
}

/** Orders two strings by UTF-16 code units (the order of every string key in `State`): −1, 0 or 1. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Orders entries keyed by RID (bus:device.function text). */
export const byRid = (a: { readonly rid: string }, b: { readonly rid: string }): number => compareText(a.rid, b.rid)

/** Orders entries keyed by (RID, PASID). */
export const byRidPasid = (
  a: { readonly rid: string; readonly pasid: number },
  b: { readonly rid: string; readonly pasid: number },
): number => compareText(a.rid, b.rid) || a.pasid - b.pasid
