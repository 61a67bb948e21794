/**
 * What a PCIe function, ADI or mdev does on the link: ATS Translation Requests, untranslated and
 * translated memory requests, and completing ATS Invalidate Requests. Interrupts are in
 * `interrupts.ts`.
 *
 * - A function whose Bus Master Enable is clear issues no memory request at all (PCIe Base 6.0
 *   §7.5.1.1.3); the command is rejected. An ADI or mdev masters the bus through its parent.
 * - Translation Request (§10.2.2): translated by the IOMMU (context entry, IOTLB, walk); a present
 *   result is cached in the ATC, a not-present one comes back with R=W=0 and is not cached (§10.2.3).
 * - Untranslated request (AT=00b): translated by the IOMMU through the PASID entry when it carries
 *   a PASID, else the context entry; not present is a DMA remapping fault (VT-d 4.x §7.1).
 * - Translated request (AT=10b, §10.2.4): the device uses its ATC entry; the IOMMU checks only that
 *   the RID's context entry accepts ATS traffic (VT-d Device-TLB enabled context entry, §9.3;
 *   SMMUv3 STE.EATS; AMD DTE.I) and forwards the request to the HPA without translating it again.
 *   A Translation Request needs the same (`iommu/context.ts`).
 * - Invalidation Completion (§10.3.2): the device drops the ATC entry and answers.
 *
 * @module
 */
import type { DmaPath } from "../event.ts"
import { formatIova, type Iova, type Rid } from "../ids.ts"
import { acceptsAts } from "../iommu/iommu.ts"
import { translateRequest } from "../iommu/translate-request.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import type { PolicyValues } from "../policy.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { atcFill, atcLookup, atsCompleteInvalidation } from "./ats.ts"
import { functionIndex, updateFunction } from "./function.ts"
import { pasidSendGuard } from "./pasid-pri.ts"
import { requesterOf } from "./requester.ts"

/**
 * `DeviceTranslationRequest { rid, iova, pasid? }`. Rejected when the function has ATS or bus
 * mastering disabled.
 */
export const translationRequest = (state: State, rid: Rid, iova: Iova, pasid?: number): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (!fn.ats.enabled) return unchanged(state, rejected(`ATS is not enabled on ${rid}`))
  if (!fn.bme) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  const refused = pasid === undefined ? undefined : pasidSendGuard(state, rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const pasidField = pasid === undefined ? {} : { pasid }
  if (!acceptsAts(state.iommu, rid))
    return unchanged(state, faulted(`${rid}'s context entry accepts no Translation Requests`))
  const { state: translated, translation, fills } = translateRequest(state, rid, iova, pasid)
  if (translation._tag === "Blocked") return unchanged(state, faulted(translation.reason))
  if (translation._tag === "NotPresent")
    return {
      state,
      outcome: ok,
      events: [{ _tag: "TranslationCompleted", rid, ...pasidField, iova, page: undefined, source: "none" }],
    }
  const { page, source } = translation
  const cached = atcLookup(fn.ats, iova, pasid)?.page === page
  return {
    state: cached
      ? translated
      : {
          ...translated,
          functions: updateFunction(state.functions, index, (f) => ({
            ...f,
            ats: atcFill(f.ats, { ...pasidField, iova, page }),
          })),
        },
    outcome: ok,
    events: [
      ...fills,
      { _tag: "TranslationCompleted", rid, ...pasidField, iova, page, source },
      { _tag: "AtcFilled", rid, ...pasidField, iova, page },
    ],
  }
}

/**
 * An untranslated memory request from interface `iface` (a function's RID, or an ADI/mdev id):
 * `DeviceDmaRead`/`DeviceDmaWrite { rid, iova, pasid? }` and `SubdeviceDmaRead`/`SubdeviceDmaWrite
 * { sub, iova }` (a sub-device tags its own PASID, if any).
 */
export const untranslatedDma = (
  policy: PolicyValues,
  state: State,
  iface: string,
  iova: Iova,
  access: "read" | "write",
  pasid?: number,
): StepResult => {
  const r = requesterOf(state, policy, iface)
  if (r === undefined) return unchanged(state, rejected(`unknown interface ${iface}`))
  if (!r.bme) return unchanged(state, rejected(`${r.rid} has Bus Master Enable clear`))
  const tagged = r.pasid ?? pasid
  const refused = tagged === undefined ? undefined : pasidSendGuard(state, r.rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const initiator = r.kind === "adi" || r.kind === "mdev" ? { initiator: iface } : {}
  const pasidField = pasid === undefined ? {} : { pasid }
  const { state: translated, translation, fills } = translateRequest(state, r.rid, iova, tagged)
  if (translation._tag !== "Translated") {
    const reason = translation._tag === "Blocked" ? translation.reason : `${formatIova(iova)} not present`
    return {
      state,
      outcome: faulted(reason),
      events: [{ _tag: "DmaFaulted", rid: r.rid, ...initiator, ...pasidField, access, iova, reason }],
    }
  }
  const { page, source } = translation
  const path: DmaPath = source
  return {
    state: translated,
    outcome: ok,
    events: [...fills, { _tag: "DmaCompleted", rid: r.rid, ...initiator, ...pasidField, access, iova, page, path }],
  }
}

/**
 * `DeviceTranslatedRead`/`DeviceTranslatedWrite { rid, iova, pasid? }`: a translated request through
 * the ATC entry for (`pasid`, `iova`). Rejected when the ATC holds no entry (the device would first
 * send a Translation Request) or bus mastering is off; faulted when the RID's context entry is not
 * present.
 */
export const translatedDma = (
  state: State,
  rid: Rid,
  iova: Iova,
  access: "read" | "write",
  pasid?: number,
): StepResult => {
  const fn = state.functions[functionIndex(state.functions, rid)]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  const entry = atcLookup(fn.ats, iova, pasid)
  if (entry === undefined) return unchanged(state, rejected(`${rid} has no ATC entry for ${formatIova(iova)}`))
  if (!fn.bme) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  const refused = pasid === undefined ? undefined : pasidSendGuard(state, rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const pasidField = pasid === undefined ? {} : { pasid }
  if (!acceptsAts(state.iommu, rid)) {
    const reason = `${rid}'s context entry accepts no translated requests`
    return {
      state,
      outcome: faulted(reason),
      events: [{ _tag: "DmaFaulted", rid, ...pasidField, access, iova, reason }],
    }
  }
  return {
    state,
    outcome: ok,
    events: [{ _tag: "DmaCompleted", rid, ...pasidField, access, iova, page: entry.page, path: "translated" }],
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
        pasid: done.completed.pasid,
        iova: done.completed.iova,
        itag: done.completed.itag,
        dropped: done.dropped.map((e) => e.page),
      },
    ],
  }
}
