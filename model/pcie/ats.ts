/**
 * The device side of ATS: the Address Translation Cache (ATC, "device-TLB") and the ATS Invalidate
 * Requests the device has received but not yet completed.
 *
 * PCIe Base 6.0 §10.2 (Translation Requests/Completions, §10.2.2–10.2.3; ATC invalidation §10.3):
 * a device with ATS enabled caches the IOMMU's answer to a Translation Request and later sends
 * *translated* requests that the IOMMU does not translate again. An Invalidate Request tells the
 * device to drop a range; the device answers with an Invalidation Completion once no translated
 * request using the old translation can still be issued. Until it completes, the ATC entry may
 * still be used.
 *
 * @module
 */
import { type HpaPage, type Iova, PAGE_SIZE } from "../ids.ts"
import { putByKey } from "../keyed.ts"

/**
 * One cached translation: IOVA (bytes) to HPA page, as returned by a Translation Completion, for the
 * PASID the Translation Request carried (`undefined`: a request without PASID; PCIe Base 6.0
 * §10.2.2 lets a function cache translations per PASID).
 */
export interface AtcEntry {
  readonly pasid?: number
  readonly iova: Iova
  readonly page: HpaPage
}

/**
 * An ATS Invalidate Request received by the device: the IOVA to drop (`undefined`: the whole
 * address range, PCIe Base 6.0 §10.3.1 with S=1 and the largest size), the PASID it carries
 * (`undefined`: none, so it applies to translations without PASID) and the ITag, here the id of
 * the procedure that sent it.
 */
export interface AtsInvalidation {
  readonly pasid?: number
  readonly iova?: Iova
  /** How many 4 KiB granules from `iova` (the request's size, S bit; absent: one). */
  readonly pages?: number
  readonly itag: string
}

/** The ATS state of one function: ATS Control Enable (§10.5.1.3), its ATC and pending invalidations. */
export interface AtsState {
  readonly enabled: boolean
  /** Sorted by (PASID, IOVA) with no PASID first, at most one entry per key. */
  readonly atc: ReadonlyArray<AtcEntry>
  /** In arrival order. */
  readonly invalidations: ReadonlyArray<AtsInvalidation>
}

/** The ATS state of a function after reset: ATC and invalidation queue empty. */
export const atsReset = (enabled: boolean): AtsState => ({ enabled, atc: [], invalidations: [] })

/** Orders ATC entries by (PASID, IOVA), entries without PASID first. */
export const atcOrder = (a: AtcEntry, b: AtcEntry): number => (a.pasid ?? -1) - (b.pasid ?? -1) || a.iova - b.iova

/** The ATC entry for (`pasid`, `iova`), if cached (`pasid` undefined: a request without PASID). */
export const atcLookup = (ats: AtsState, iova: Iova, pasid?: number): AtcEntry | undefined =>
  ats.atc.find((e) => e.iova === iova && e.pasid === pasid)

/** Caches a Translation Completion, replacing any older entry for the same (PASID, IOVA). */
export const atcFill = (ats: AtsState, entry: AtcEntry): AtsState => ({
  ...ats,
  atc: putByKey(ats.atc, entry, atcOrder),
})

/** Whether an Invalidate Request covers an ATC entry: same PASID (or none), and its range or the whole space. */
export const invalidationCovers = (inv: AtsInvalidation, entry: AtcEntry): boolean =>
  inv.pasid === entry.pasid &&
  (inv.iova === undefined || (entry.iova >= inv.iova && entry.iova < inv.iova + (inv.pages ?? 1) * PAGE_SIZE))

/** Queues an Invalidate Request at the device (the device has not acted on it yet). */
export const atsReceiveInvalidation = (ats: AtsState, inv: AtsInvalidation): AtsState => ({
  ...ats,
  invalidations: [...ats.invalidations, inv],
})

/**
 * The device acts on its oldest pending Invalidate Request: drops the ATC entries it covers and
 * sends the Invalidation Completion. Returns `undefined` when nothing is pending.
 */
export const atsCompleteInvalidation = (
  ats: AtsState,
):
  | { readonly ats: AtsState; readonly completed: AtsInvalidation; readonly dropped: ReadonlyArray<AtcEntry> }
  | undefined => {
  const [completed, ...rest] = ats.invalidations
  if (completed === undefined) return undefined
  return {
    ats: { ...ats, atc: ats.atc.filter((e) => !invalidationCovers(completed, e)), invalidations: rest },
    completed,
    dropped: ats.atc.filter((e) => invalidationCovers(completed, e)),
  }
}

/** Whether an Invalidate Request tagged `itag` is still pending at the device. */
export const atsAwaiting = (ats: AtsState, itag: string): boolean => ats.invalidations.some((i) => i.itag === itag)
