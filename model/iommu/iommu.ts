/**
 * The IOMMU: context entries, domains with their page tables, and the IOTLB, with the translation
 * of untranslated requests and ATS Translation Requests.
 *
 * Untranslated request (VT-d 4.x §3.6–3.7, AMD IOMMU §2.2, SMMUv3 §3.2): the RID selects a context
 * entry (through the structure cache, `entry-cache.ts`, which a walk fills) and so a DID; the IOTLB
 * is looked up by (DID, IOVA); on a miss the page table is walked and a present result is cached. A Translation Request (PCIe Base 6.0 §10.2.2; VT-d §4.2.3) goes
 * the same way and its completion goes back to the device instead of to memory. A not-present walk
 * is a fault for an untranslated request and a completion without access (R=W=0) for a
 * Translation Request.
 *
 * @module
 */
import { type HpaPage, type Iova, PAGE_SIZE, type Rid, type VmId } from "../ids.ts"
import { type ContextEntry, type ContextTable, contextEntry, type Did } from "./context.ts"
import { cacheContext, cachePasid, type EntryCache } from "./entry-cache.ts"
import { type Domain, walk } from "./domain.ts"
import type { InterruptRemapping } from "./interrupt-remapping.ts"
import type { PageRequest } from "./page-request-queue.ts"
import { type Iotlb, iotlbFill, iotlbLookup } from "./iotlb.ts"
import { type PasidEntry, type PasidTable, pasidDid, pasidEntry } from "./pasid-table.ts"

/** The IOMMU's state. */
export interface Iommu {
  readonly context: ContextTable
  readonly pasids: PasidTable
  /** Cached context and PASID entries (`entry-cache.ts`). */
  readonly cache: EntryCache
  /** Sorted by DID. */
  readonly domains: ReadonlyArray<Domain>
  readonly iotlb: Iotlb
  readonly interrupts: InterruptRemapping
  /** The page request queue, oldest first. */
  readonly prq: ReadonlyArray<PageRequest>
  /** Number of physical pages (what a pass-through address can reach); constant. */
  readonly physicalPages: number
}

/** The domain that holds Domain-ID `did` now, if any. */
export const domainByDid = (iommu: Iommu, did: Did | undefined): Domain | undefined =>
  did === undefined ? undefined : iommu.domains.find((d) => d.did === did)

/** The domain the host created for `vm`, if it exists. */
export const domainOfVm = (iommu: Iommu, vm: VmId): Domain | undefined => iommu.domains.find((d) => d.vm === vm)

/** Replaces the domain of the same VM. */
export const putDomain = (iommu: Iommu, domain: Domain): Iommu => ({
  ...iommu,
  domains: iommu.domains.map((d) => (d.vm === domain.vm ? domain : d)),
})

/**
 * The context entry requests of `rid` meet: the cached one (`cached: true`), else the table's
 * (`undefined` when not present), which a walk then caches.
 */
export const effectiveContext = (
  iommu: Iommu,
  rid: Rid,
): { readonly entry: ContextEntry | undefined; readonly cached: boolean } => {
  const hit = iommu.cache.context.find((e) => e.rid === rid)
  return hit !== undefined ? { entry: hit, cached: true } : { entry: contextEntry(iommu.context, rid), cached: false }
}

/** The PASID entry requests of (`rid`, `pasid`) meet: the cached one, else the table's. */
export const effectivePasidEntry = (
  iommu: Iommu,
  rid: Rid,
  pasid: number,
): { readonly entry: PasidEntry | undefined; readonly cached: boolean } => {
  const hit = iommu.cache.pasid.find((e) => e.rid === rid && e.pasid === pasid)
  return hit !== undefined
    ? { entry: hit, cached: true }
    : { entry: pasidEntry(iommu.pasids, rid, pasid), cached: false }
}

/** Whether `rid`'s context entry, as the IOMMU sees it (cached or not), accepts its ATS traffic. */
export const acceptsAts = (iommu: Iommu, rid: Rid): boolean => {
  const e = effectiveContext(iommu, rid).entry
  return (e?.kind === "translated" || e?.kind === "pasid-only") && e.ats
}

/** Result of translating an IOVA for a RID. */
export type Translation =
  | { readonly _tag: "Blocked"; readonly reason: string }
  | { readonly _tag: "NotPresent"; readonly did: Did | undefined }
  | {
      readonly _tag: "Translated"
      readonly did: Did | undefined
      readonly page: HpaPage
      readonly source: "iotlb" | "walk" | "pass-through"
    }

/**
 * Translates `iova` for `rid` (untranslated request or Translation Request), with `pasid` when the
 * request carries a PASID: the PASID entry or the context entry selects a domain, then IOTLB, then
 * walk; a successful walk fills the IOTLB. A pass-through context entry translates nothing: the
 * address is physical (an address past the end of memory is not present). Returns the new IOMMU
 * state (IOTLB possibly filled) and the translation.
 */
export const translate = (
  iommu0: Iommu,
  rid: Rid,
  iova: Iova,
  pasid?: number,
): { readonly iommu: Iommu; readonly translation: Translation } => {
  let did: Did
  let iommu = iommu0
  if (pasid !== undefined) {
    const { entry, cached } = effectivePasidEntry(iommu, rid, pasid)
    if (entry === undefined || !entry.enabled)
      return { iommu, translation: { _tag: "Blocked", reason: `${rid} has no PASID ${pasid} entry` } }
    if (!cached) iommu = { ...iommu, cache: cachePasid(iommu.cache, entry) }
    did = entry.did
  } else {
    const { entry, cached } = effectiveContext(iommu, rid)
    if (entry === undefined) return { iommu, translation: { _tag: "Blocked", reason: `${rid} has no context entry` } }
    if (!cached) iommu = { ...iommu, cache: cacheContext(iommu.cache, entry) }
    if (entry.kind === "pasid-only")
      return { iommu, translation: { _tag: "Blocked", reason: `${rid}'s requests without PASID are blocked` } }
    if (entry.kind === "pass-through") {
      const page = iova / PAGE_SIZE
      return Number.isInteger(page) && page < iommu.physicalPages
        ? { iommu, translation: { _tag: "Translated", did: undefined, page, source: "pass-through" } }
        : { iommu, translation: { _tag: "NotPresent", did: undefined } }
    }
    did = entry.did
  }
  const hit = iotlbLookup(iommu.iotlb, did, iova)
  if (hit !== undefined) return { iommu, translation: { _tag: "Translated", did, page: hit.page, source: "iotlb" } }
  const domain = domainByDid(iommu, did)
  const page = domain === undefined ? undefined : walk(domain, iova)
  if (page === undefined) return { iommu, translation: { _tag: "NotPresent", did } }
  return {
    iommu: { ...iommu, iotlb: iotlbFill(iommu.iotlb, { did, iova, page }) },
    translation: { _tag: "Translated", did, page, source: "walk" },
  }
}

/**
 * What the tables alone give for (`rid`, `pasid`, `iova`), caches aside: the HPA page, or
 * `undefined` when blocked or not present. The reference the cache-coherence properties compare
 * the IOTLB and ATCs against.
 */
export const tablesTranslate = (iommu: Iommu, rid: Rid, iova: Iova, pasid?: number): HpaPage | undefined => {
  if (pasid !== undefined) {
    const did = pasidDid(iommu.pasids, rid, pasid)
    const domain = did === undefined ? undefined : domainByDid(iommu, did)
    return domain === undefined ? undefined : walk(domain, iova)
  }
  const entry = contextEntry(iommu.context, rid)
  if (entry === undefined || entry.kind === "pasid-only") return undefined
  if (entry.kind === "pass-through") {
    const page = iova / PAGE_SIZE
    return Number.isInteger(page) && page < iommu.physicalPages ? page : undefined
  }
  const domain = domainByDid(iommu, entry.did)
  return domain === undefined ? undefined : walk(domain, iova)
}
