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
import type { HpaPage, Iova } from "../ids.ts"

/** One cached translation: IOVA (bytes) to HPA page, as returned by a Translation Completion. */
export interface AtcEntry {
  readonly iova: Iova
  readonly page: HpaPage
}

/**
 * An ATS Invalidate Request received by the device: the IOVA to drop and the ITag, here the id of
 * the host procedure that sent it (PCIe Base 6.0 §10.3.1).
 */
export interface AtsInvalidation {
  readonly iova: Iova
  readonly itag: string
}

/** The ATS state of one function: ATS Control Enable (§10.5.1.3), its ATC and pending invalidations. */
export interface AtsState {
  readonly enabled: boolean
  /** Sorted by IOVA, at most one entry per IOVA. */
  readonly atc: ReadonlyArray<AtcEntry>
  /** In arrival order. */
  readonly invalidations: ReadonlyArray<AtsInvalidation>
}

/** The ATS state of a function after reset: ATC and invalidation queue empty. */
export const atsReset = (enabled: boolean): AtsState => ({ enabled, atc: [], invalidations: [] })

/** The ATC entry for `iova`, if cached. */
export const atcLookup = (ats: AtsState, iova: Iova): AtcEntry | undefined => ats.atc.find((e) => e.iova === iova)

/** Caches a Translation Completion, replacing any older entry for the same IOVA. */
export const atcFill = (ats: AtsState, entry: AtcEntry): AtsState => ({
  ...ats,
  atc: [...ats.atc.filter((e) => e.iova !== entry.iova), entry].sort((a, b) => a.iova - b.iova),
})

/** Queues an Invalidate Request at the device (the device has not acted on it yet). */
export const atsReceiveInvalidation = (ats: AtsState, inv: AtsInvalidation): AtsState => ({
  ...ats,
  invalidations: [...ats.invalidations, inv],
})

/**
 * The device acts on its oldest pending Invalidate Request: drops the ATC entry for that IOVA and
 * sends the Invalidation Completion. Returns `undefined` when nothing is pending.
 */
export const atsCompleteInvalidation = (
  ats: AtsState,
):
  | { readonly ats: AtsState; readonly completed: AtsInvalidation; readonly dropped: AtcEntry | undefined }
  | undefined => {
  const [completed, ...rest] = ats.invalidations
  if (completed === undefined) return undefined
  return {
    ats: { ...ats, atc: ats.atc.filter((e) => e.iova !== completed.iova), invalidations: rest },
    completed,
    dropped: atcLookup(ats, completed.iova),
  }
}

/** Whether an Invalidate Request tagged `itag` is still pending at the device. */
export const atsAwaiting = (ats: AtsState, itag: string): boolean => ats.invalidations.some((i) => i.itag === itag)
