/**
 * The model's cache invalidations and what a call of each returns when the invalidation is
 * skipped: the `skip-invalidation` operator replaces a call by that value, so the caller goes on
 * as if the invalidation had run and dropped nothing. One entry per function of `model/` that
 * removes entries from a cache (IOTLB, nested IOTLB, context-/PASID-cache, interrupt entry cache,
 * ATC through ATS Invalidate Requests, page request queue).
 *
 * A template gets the call's argument texts; a signature change in the model makes the mutant fail
 * to compile, which the report counts as "not compiled" and so shows.
 *
 * @module
 */

/** The value a skipped call yields, from the call's argument texts. */
export type SkipTemplate = (args: ReadonlyArray<string>) => string

/** Skip templates by the called function's name. */
export const INVALIDATION_CALLS: Readonly<Record<string, SkipTemplate>> = {
  /** `iommu/iotlb.ts`: `(iotlb, did, iova, pages)` → `{ iotlb, dropped }`. */
  iotlbInvalidate: (a) => `{ iotlb: ${a[0]}, dropped: [] }`,
  /** `nesting/nesting.ts`: `(nesting, tag, iova)` → `{ nesting, dropped }`. */
  nestedIotlbInvalidate: (a) => `{ nesting: ${a[0]}, dropped: [] }`,
  /** `iommu/entry-cache.ts`: `(cache, rid, tag)` → `{ cache, dropped }`. */
  invalidateContextCache: (a) => `{ cache: ${a[0]}, dropped: 0 }`,
  /** `iommu/entry-cache.ts`: `(cache, rid, pasid, tag)` → `{ cache, dropped }`. */
  invalidatePasidCache: (a) => `{ cache: ${a[0]}, dropped: 0 }`,
  /** `iommu/interrupt-remapping.ts`: `(ir, handle)` → `ir`. */
  invalidateIec: (a) => `${a[0]}`,
  /** `host/ats-invalidation.ts`: `(ctx, state, targets, itag)` → `{ state, events }` (no Invalidate Request sent). */
  sendAtsInvalidations: (a) => `{ state: ${a[1]}, events: [] }`,
  /** `pcie/ats.ts`: `(ats, inv)` → `ats` (the device never receives the Invalidate Request). */
  atsReceiveInvalidation: (a) => `${a[0]}`,
  /** `host/unmap.ts`: `(ctx, nesting, vm)` → `{ nesting, events }` (the nested tags of a parent's unmap). */
  flushNestedTags: (a) => `{ nesting: ${a[1]}, events: [] }`,
  /** `iommu/page-request-queue.ts`: `(prq, rid, pasid)` → `{ prq, drained }`. */
  drainPasid: (a) => `{ prq: ${a[0]}, drained: 0 }`,
}
