/**
 * What a PCIe function does on the link: ATS Translation Requests, untranslated and translated
 * memory requests, and completing ATS Invalidate Requests.
 *
 * - Translation Request (PCIe Base 6.0 §10.2.2): translated by the IOMMU (context entry, IOTLB,
 *   walk); a present result is cached in the ATC, a not-present one comes back with R=W=0 and is
 *   not cached (§10.2.3).
 * - Untranslated request (AT=00b): translated by the IOMMU; not present is a DMA remapping fault
 *   (VT-d 4.x §7.1).
 * - Translated request (AT=10b, §10.2.4): the device uses its ATC entry; the IOMMU checks only that
 *   the RID's context entry allows translated requests (VT-d Device-TLB enabled context entry,
 *   §9.3; SMMUv3 STE.EATS) and forwards the request to the HPA without translating it again.
 * - Invalidation Completion (§10.3.2): the device drops the ATC entry and answers.
 *
 * Only a function assigned to a VM (a present context entry) sends requests here; a blocked RID's
 * requests fault.
 *
 * @module
 */
import { formatIova, type Iova, type Rid } from "../ids.ts"
import { contextDid } from "../iommu/context.ts"
import { translate } from "../iommu/iommu.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { atcFill, atcLookup, atsCompleteInvalidation } from "./ats.ts"
import { functionIndex, updateFunction } from "./function.ts"

/** `DeviceTranslationRequest { rid, iova }`. Rejected when the function has ATS disabled. */
export const translationRequest = (state: State, rid: Rid, iova: Iova): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (!fn.ats.enabled) return unchanged(state, rejected(`ATS is not enabled on ${rid}`))
  const { iommu, translation } = translate(state.iommu, rid, iova)
  if (translation._tag === "Blocked") return unchanged(state, faulted(`${rid} has no context entry`))
  if (translation._tag === "NotPresent")
    return {
      state,
      outcome: ok,
      events: [{ _tag: "TranslationCompleted", rid, iova, page: undefined, source: "none" }],
    }
  const { did, page, source } = translation
  const cached = atcLookup(fn.ats, iova)?.page === page
  return {
    state:
      cached && iommu === state.iommu
        ? state
        : {
            ...state,
            iommu,
            functions: cached
              ? state.functions
              : updateFunction(state.functions, index, (f) => ({ ...f, ats: atcFill(f.ats, { iova, page }) })),
          },
    outcome: ok,
    events: [
      ...(source === "walk" ? [{ _tag: "IotlbFilled" as const, did, iova, page }] : []),
      { _tag: "TranslationCompleted", rid, iova, page, source },
      { _tag: "AtcFilled", rid, iova, page },
    ],
  }
}

/** `DeviceDmaRead`/`DeviceDmaWrite { rid, iova }`: an untranslated request. */
export const untranslatedDma = (state: State, rid: Rid, iova: Iova, access: "read" | "write"): StepResult => {
  if (functionIndex(state.functions, rid) < 0) return unchanged(state, rejected(`unknown RID ${rid}`))
  const { iommu, translation } = translate(state.iommu, rid, iova)
  if (translation._tag !== "Translated") {
    const reason = translation._tag === "Blocked" ? `${rid} has no context entry` : `${formatIova(iova)} not present`
    return { state, outcome: faulted(reason), events: [{ _tag: "DmaFaulted", rid, access, iova, reason }] }
  }
  const { did, page, source } = translation
  return {
    state: iommu === state.iommu ? state : { ...state, iommu },
    outcome: ok,
    events: [
      ...(source === "walk" ? [{ _tag: "IotlbFilled" as const, did, iova, page }] : []),
      { _tag: "DmaCompleted", rid, access, iova, page, path: source },
    ],
  }
}

/**
 * `DeviceTranslatedRead`/`DeviceTranslatedWrite { rid, iova }`: a translated request through the
 * ATC entry for `iova`. Rejected when the ATC holds no entry (the device would first send a
 * Translation Request); faulted when the RID's context entry is not present.
 */
export const translatedDma = (state: State, rid: Rid, iova: Iova, access: "read" | "write"): StepResult => {
  const fn = state.functions[functionIndex(state.functions, rid)]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  const entry = atcLookup(fn.ats, iova)
  if (entry === undefined) return unchanged(state, rejected(`${rid} has no ATC entry for ${formatIova(iova)}`))
  if (contextDid(state.iommu.context, rid) === undefined) {
    const reason = `${rid} has no context entry`
    return { state, outcome: faulted(reason), events: [{ _tag: "DmaFaulted", rid, access, iova, reason }] }
  }
  return {
    state,
    outcome: ok,
    events: [{ _tag: "DmaCompleted", rid, access, iova, page: entry.page, path: "translated" }],
  }
}

/** `DeviceCompleteAtsInvalidation { rid }`. Rejected when nothing is pending. */
export const completeAtsInvalidation = (state: State, rid: Rid): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  const done = atsCompleteInvalidation(fn.ats)
  if (done === undefined) return unchanged(state, rejected(`${rid} has no pending ATS Invalidate Request`))
  return {
    state: { ...state, functions: updateFunction(state.functions, index, (f) => ({ ...f, ats: done.ats })) },
    outcome: ok,
    events: [
      {
        _tag: "AtsInvalidationCompleted",
        rid,
        iova: done.completed.iova,
        itag: done.completed.itag,
        dropped: done.dropped?.page,
      },
    ],
  }
}
