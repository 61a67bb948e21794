/**
 * The IOMMU's structure caches (issue "IOMMU structure caches"): copies of the per-RID entry (VT-d
 * context-cache, §6.5.1; AMD-Vi device table entry cache; SMMUv3 STE cache) and of the per-(RID,
 * PASID) entry (VT-d PASID-cache, §6.5.2.3; SMMUv3 CD cache; on AMD-Vi the GCR3 level is reached
 * through the cached DTE) that translations walk through. An entry is cached when a request walks
 * it; a not-present entry is never cached (Caching Mode 0), so writing a new entry needs no
 * invalidation, but changing or clearing one does: until the cache is invalidated, requests keep
 * meeting the old entry (its domain, its flags, its ATS permission).
 *
 * An invalidation names the entry's RID (and PASID) and the domain tag the cached entry must carry
 * (VT-d device-selective context-cache invalidation and PASID-selective PASID-cache invalidation
 * take a DID; a cached entry of another DID survives), or is global. Which tag a procedure uses —
 * the one read before the entry was changed or the one after — is its design (`host/release.ts`,
 * `host/pasid-teardown.ts`).
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import type { ContextEntry, Did } from "./context.ts"
import type { PasidEntry } from "./pasid-table.ts"
import { byRid, byRidPasid, putByKey } from "../keyed.ts"

/** The cached entries, each array sorted by its key. */
export interface EntryCache {
  /** Cached per-RID entries, sorted by RID. */
  readonly context: ReadonlyArray<ContextEntry>
  /** Cached per-(RID, PASID) entries, sorted by (RID, PASID). */
  readonly pasid: ReadonlyArray<PasidEntry>
}

/** The empty cache. */
export const EMPTY_ENTRY_CACHE: EntryCache = { context: [], pasid: [] }

/** Which cached entries an invalidation drops: those tagged `did` (`undefined`: tagged with nothing), or all. */
export type CacheTag = { readonly did: Did | undefined } | "global"

/** Caches a context entry a walk just read (replacing any for the same RID). */
export const cacheContext = (cache: EntryCache, entry: ContextEntry): EntryCache => ({
  ...cache,
  context: putByKey(cache.context, entry, byRid),
})

/** Caches a PASID entry a walk just read. */
export const cachePasid = (cache: EntryCache, entry: PasidEntry): EntryCache => ({
  ...cache,
  pasid: putByKey(cache.pasid, entry, byRidPasid),
})

const didOf = (e: ContextEntry): Did | undefined => (e.kind === "translated" ? e.did : undefined)

/** Drops the cached context entry of `rid` when it carries `tag`; returns the cache and how many were dropped. */
export const invalidateContextCache = (
  cache: EntryCache,
  rid: Rid,
  tag: CacheTag,
): { readonly cache: EntryCache; readonly dropped: number } => {
  const hit = (e: ContextEntry) => e.rid === rid && (tag === "global" || didOf(e) === tag.did)
  const context = cache.context.filter((e) => !hit(e))
  const dropped = cache.context.length - context.length
  return { cache: dropped === 0 ? cache : { ...cache, context }, dropped }
}

/** Drops the cached PASID entries of `rid` (one `pasid`, or all of them) that carry `tag`. */
export const invalidatePasidCache = (
  cache: EntryCache,
  rid: Rid,
  pasid: number | "all",
  tag: CacheTag,
): { readonly cache: EntryCache; readonly dropped: number } => {
  const hit = (e: PasidEntry) =>
    e.rid === rid && (pasid === "all" || e.pasid === pasid) && (tag === "global" || e.did === tag.did)
  const kept = cache.pasid.filter((e) => !hit(e))
  const dropped = cache.pasid.length - kept.length
  return { cache: dropped === 0 ? cache : { ...cache, pasid: kept }, dropped }
}
