/**
 * The IOMMU's IOTLB: translations cached by page walks, tagged by (DID, IOVA).
 *
 * VT-d 4.x §6.2.1 (IOTLB tagged by DID and address), §6.5.2.4 (page-selective IOTLB invalidation);
 * AMD IOMMU §2.4.3 INVALIDATE_IOMMU_PAGES (DomainID); SMMUv3 §4.4.2 CMD_TLBI_S2_IPA (VMID). The
 * hardware never caches a not-present entry here (VT-d Caching Mode 0), so a cached entry is
 * always one a walk once returned.
 *
 * @module
 */
import { type HpaPage, type Iova, PAGE_SIZE } from "../ids.ts"
import type { Did } from "./context.ts"
import { putByKey } from "../keyed.ts"

/** One cached translation of domain `did`. */
export interface IotlbEntry {
  readonly did: Did
  readonly iova: Iova
  readonly page: HpaPage
}

/** IOTLB contents sorted by (DID, IOVA), at most one entry per key. */
export type Iotlb = ReadonlyArray<IotlbEntry>

/** The cached translation of (`did`, `iova`), if any. */
export const iotlbLookup = (iotlb: Iotlb, did: Did, iova: Iova): IotlbEntry | undefined =>
  iotlb.find((e) => e.did === did && e.iova === iova)

/** Caches the result of a walk. */
export const iotlbFill = (iotlb: Iotlb, entry: IotlbEntry): Iotlb =>
  putByKey(iotlb, entry, (a, b) => a.did - b.did || a.iova - b.iova)

/**
 * Invalidation of `did`'s entries for `pages` granules (4 KiB each) from `iova` (page- or
 * range-selective: VT-d address mask AM, SMMUv3 range invalidation TG/NUM/SCALE, AMD S bit), or of
 * every entry of `did` when `iova` is `undefined` (domain-selective); returns the new IOTLB and
 * the entries dropped.
 */
export const iotlbInvalidate = (
  iotlb: Iotlb,
  did: Did,
  iova: Iova | undefined,
  pages = 1,
): { readonly iotlb: Iotlb; readonly dropped: ReadonlyArray<IotlbEntry> } => {
  const hit = (e: IotlbEntry) =>
    e.did === did && (iova === undefined || (e.iova >= iova && e.iova < iova + pages * PAGE_SIZE))
  const dropped = iotlb.filter(hit)
  return dropped.length === 0 ? { iotlb, dropped } : { iotlb: iotlb.filter((e) => !hit(e)), dropped }
}
