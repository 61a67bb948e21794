/**
 * The operations every entry-changing program shares to invalidate a structure cache
 * (`iommu/entry-cache.ts`): `invalidate-context-cache { tag }` and `invalidate-pasid-cache { tag }`,
 * where `tag` is the domain tag the invalidation names: `old` (read before the entry changed: the
 * tag the cached copy carries, VT-d 4.x §6.5.2.1–6.5.2.3 with the DID of the old entry), `new`
 * (read after: a cleared entry has none, so a DID-selective invalidation then drops nothing — the
 * design error of reading the tag from the entry just cleared) or `global` (every cached entry of
 * the RID). A bare operation takes the knob `entryCacheTag`'s tag.
 *
 * @module
 */
import { Schema } from "effect"
import type { Event } from "../event.ts"
import type { Rid } from "../ids.ts"
import type { Did } from "../iommu/context.ts"
import type { CacheTag } from "../iommu/entry-cache.ts"
import type { PolicyValues } from "../policy.ts"
import { opInput, opParams } from "../program.ts"
import type { StepContext } from "../state.ts"

/** Which tag a cache invalidation names (see the module doc). */
export type TagChoice = "old" | "new" | "global"

/** Schema of a cache invalidation operation as a scenario writes it. */
export const CacheInvalidationInput = <const N extends "invalidate-context-cache" | "invalidate-pasid-cache">(
  name: N,
) => opInput(name, { tag: Schema.optionalKey(Schema.Literals(["old", "new", "global"])) })

/** A cache invalidation operation with its tag. */
export interface CacheInvalidationOp<N extends string> {
  readonly op: N
  readonly tag: TagChoice
}

/** A written cache invalidation (or a preset's, `undefined`) with the knob `entryCacheTag`'s tag when it names none. */
export const cacheInvalidationOp = <N extends string>(
  op: N,
  written: string | { readonly op: string } | undefined,
  policy: PolicyValues,
): CacheInvalidationOp<N> => ({
  op,
  tag:
    (written === undefined ? undefined : (opParams(written).tag as TagChoice | undefined)) ??
    (policy.entryCacheTag === "read-after-change" ? "new" : "old"),
})

/** The tag an invalidation names: the old entry's, the current entry's, or all. */
export const cacheTag = (choice: TagChoice, oldDid: Did | undefined, newDid: Did | undefined): CacheTag =>
  choice === "global" ? "global" : { did: choice === "old" ? oldDid : newDid }

/** The event of a cache invalidation, in the vendor's words. */
export const cacheInvalidatedEvent = (
  ctx: StepContext,
  op: "invalidate-context-cache" | "invalidate-pasid-cache",
  rid: Rid,
  pasid: number | undefined,
  tag: CacheTag,
  dropped: number,
): Event => ({
  _tag: "EntryCacheInvalidated",
  command: op === "invalidate-context-cache" ? ctx.vendor.contextCacheInvalidation : ctx.vendor.pasidCacheInvalidation,
  rid,
  pasid,
  did: tag === "global" ? "global" : tag.did,
  dropped,
})
