/**
 * What a PCIe function, ADI or mdev does on the link: ATS Translation Requests, untranslated and
 * translated memory requests, and completing ATS Invalidate Requests. Interrupts are in
 * `interrupts.ts`.
 *
 * - A function whose Bus Master Enable is clear issues no memory request at all (PCIe Base 6.0
 *   §7.5.1.1.3); the command is rejected. An ADI or mdev masters the bus through its parent. A
 *   malicious function ignores it, and its ATS Enable (`function.ts` `mastersBus`).
 * - The IOMMU sees the RID a request carries: the function's DMA alias when it has one.
 * - Translation Request (§10.2.2): translated by the IOMMU (context entry, IOTLB, walk); a present
 *   result is cached in the ATC, a not-present one comes back with R=W=0 and is not cached (§10.2.3).
 * - Untranslated request (AT=00b): translated by the IOMMU through the PASID entry when it carries
 *   a PASID, else the context entry; not present is a DMA remapping fault (VT-d 4.x §7.1).
 * - Translated request (AT=10b, §10.2.4): the device uses its ATC entry; the IOMMU checks only that
 *   the RID's context entry accepts ATS traffic (VT-d Device-TLB enabled context entry, §9.3;
 *   SMMUv3 STE.EATS; AMD DTE.I) and forwards the request to the HPA without translating it again.
 *   A Translation Request needs the same (`iommu/context.ts`).
 * - Invalidation Completion (§10.3.2): the device drops the ATC entry and answers.
 * - A malicious function also forges translated requests for any HPA (`forgeTranslated`).
 *
 * @module
 */
import type { DmaPath } from "../event.ts"
import { formatIova, type HpaPage, type Iova, PAGE_SIZE, type Rid } from "../ids.ts"
import { acceptsAts } from "../iommu/iommu.ts"
import { translateRequest } from "../iommu/translate-request.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import type { PolicyValues } from "../policy.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { atcFill, atcLookup, atsCompleteInvalidation } from "./ats.ts"
import { functionIndex, linkRid, mastersBus, type PcieFunction, updateFunction } from "./function.ts"
import { pasidSendGuard } from "./pasid-pri.ts"
import { requesterOf } from "./requester.ts"

/**
 * The function carrying the ATS traffic of interface `iface` (a function's RID, or an ADI or a
 * PASID-tagged mdev: PCIe Base 6.0 §10.2.2 lets a function cache translations per PASID, so a
 * sub-device's Translation Requests carry its PASID and fill its parent's ATC under that PASID),
 * with the PASID its requests carry; or the step that rejects the request.
 */
const atsRequester = (
  policy: PolicyValues,
  state: State,
  iface: string,
  pasid: number | undefined,
):
  | {
      readonly index: number
      readonly fn: PcieFunction
      readonly pasid: number | undefined
      readonly initiator?: string
    }
  | StepResult => {
  const r = requesterOf(state, policy, iface)
  if (r === undefined) return unchanged(state, rejected(`unknown interface ${iface}`))
  const index = functionIndex(state.functions, r.rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${r.rid}`))
  if (r.kind === "adi" || r.kind === "mdev") {
    if (r.pasid === undefined)
      return unchanged(state, rejected(`${iface} tags no PASID: its parent's ATC cannot tell its translations apart`))
    return { index, fn, pasid: r.pasid, initiator: iface }
  }
  return { index, fn, pasid }
}

/**
 * `DeviceTranslationRequest { rid, iova, pasid? }` and `SubdeviceTranslationRequest { sub, iova }`.
 * Rejected when the function has ATS disabled (a malicious one sends it anyway: ATS Enable asks
 * the device; with it clear the completion fills no ATC the host would invalidate, and what the
 * device makes of it is a forged translated request) or does not master the bus; faulted when the
 * context entry of the RID it carries accepts no ATS traffic.
 */
export const translationRequest = (
  policy: PolicyValues,
  state: State,
  iface: string,
  iova: Iova,
  pasid?: number,
): StepResult => {
  const q = atsRequester(policy, state, iface, pasid)
  if ("outcome" in q) return q
  const { fn, index } = q
  const rid = fn.rid
  if (!fn.ats.enabled && fn.malicious !== true) return unchanged(state, rejected(`ATS is not enabled on ${rid}`))
  if (!mastersBus(fn)) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  const refused = q.pasid === undefined ? undefined : pasidSendGuard(state, rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const pasidField = q.pasid === undefined ? {} : { pasid: q.pasid }
  if (!acceptsAts(state.iommu, linkRid(fn)))
    return unchanged(state, faulted(`${linkRid(fn)}'s context entry accepts no Translation Requests`))
  const { state: translated, translation, fills } = translateRequest(state, rid, iova, q.pasid)
  if (translation._tag === "Blocked") return unchanged(state, faulted(translation.reason))
  if (translation._tag === "NotPresent")
    return {
      state,
      outcome: ok,
      events: [{ _tag: "TranslationCompleted", rid, ...pasidField, iova, page: undefined, source: "none" }],
    }
  const { page, source } = translation
  if (!fn.ats.enabled)
    return {
      state: translated,
      outcome: ok,
      events: [...fills, { _tag: "TranslationCompleted", rid, ...pasidField, iova, page, source }],
    }
  const cached = atcLookup(fn.ats, iova, q.pasid)?.page === page
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
 * `DeviceTranslatedRead`/`DeviceTranslatedWrite { rid, iova, pasid? }` and
 * `SubdeviceTranslatedRead`/`SubdeviceTranslatedWrite { sub, iova }`: a translated request through
 * the ATC entry for (`pasid`, `iova`). Rejected when the ATC holds no entry (the device would first
 * send a Translation Request) or the function does not master the bus; faulted when the context
 * entry of the RID it carries accepts no ATS traffic.
 */
export const translatedDma = (
  policy: PolicyValues,
  state: State,
  iface: string,
  iova: Iova,
  access: "read" | "write",
  pasid?: number,
): StepResult => {
  const q = atsRequester(policy, state, iface, pasid)
  if ("outcome" in q) return q
  const { fn } = q
  const rid = fn.rid
  const entry = atcLookup(fn.ats, iova, q.pasid)
  if (entry === undefined) return unchanged(state, rejected(`${rid} has no ATC entry for ${formatIova(iova)}`))
  if (!mastersBus(fn)) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  const refused = q.pasid === undefined ? undefined : pasidSendGuard(state, rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const pasidField = q.pasid === undefined ? {} : { pasid: q.pasid }
  const initiator = q.initiator === undefined ? {} : { initiator: q.initiator }
  if (!acceptsAts(state.iommu, linkRid(fn))) {
    const reason = `${linkRid(fn)}'s context entry accepts no translated requests`
    return {
      state,
      outcome: faulted(reason),
      events: [{ _tag: "DmaFaulted", rid, ...initiator, ...pasidField, access, iova, reason }],
    }
  }
  return {
    state,
    outcome: ok,
    events: [
      { _tag: "DmaCompleted", rid, ...initiator, ...pasidField, access, iova, page: entry.page, path: "translated" },
    ],
  }
}

/**
 * `DeviceForgeTranslated { rid, page, access }`: a malicious function sends a translated request
 * (AT=10b) for HPA page `page`, a translation it never received (issue "adversarial devices";
 * PCIe Base 6.0 §10.1.1: the IOMMU trusts translated requests from a device it lets use ATS). The
 * IOMMU's only check is the context entry of the RID it carries: when that entry accepts ATS
 * traffic (VT-d Device-TLB enable, SMMUv3 STE.EATS, AMD DTE.I) the request reaches the page.
 * Rejected for an honest function (it sends translated requests only through its ATC), an unknown
 * page, or a function that does not master the bus.
 */
export const forgeTranslated = (state: State, rid: Rid, page: HpaPage, access: "read" | "write"): StepResult => {
  const fn = state.functions[functionIndex(state.functions, rid)]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (fn.malicious !== true)
    return unchanged(state, rejected(`${rid} is honest: it sends translated requests only through its ATC`))
  if (!Number.isInteger(page) || page < 0 || page >= state.memory.length)
    return unchanged(state, rejected(`page ${page} does not exist`))
  const iova = page * PAGE_SIZE
  if (!acceptsAts(state.iommu, linkRid(fn))) {
    const reason = `${linkRid(fn)}'s context entry accepts no translated requests`
    return { state, outcome: faulted(reason), events: [{ _tag: "DmaFaulted", rid, access, iova, reason }] }
  }
  return { state, outcome: ok, events: [{ _tag: "DmaCompleted", rid, access, iova, page, path: "forged" }] }
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
