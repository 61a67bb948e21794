/**
 * The IOMMU's translation of one request, whatever sent it (DMA of a function, ADI or mdev, an ATS
 * Translation Request, a PASID-tagged write into the interrupt window, a TDI's T=0 DMA): one path,
 * so every request meets the same entries and caches.
 *
 * The (RID, PASID) selects the entry: a nested attachment when the guest attached one there
 * (PASID 0 stands for requests without PASID; `nesting/translate.ts`), else the flat path
 * (`iommu.ts`: the PASID entry, or the context entry). A nested attachment for a PASID is that
 * PASID's entry in the IOMMU (VT-d scalable-mode PASID entry with nested translation, AMD GCR3
 * entry, SMMUv3 CD), so its Enable flag blocks requests as a flat PASID entry's does.
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { HpaPage, Iova, Rid, VmId } from "../ids.ts"
import { nestedAttachmentFor, nestedTranslate } from "../nesting/translate.ts"
import type { State } from "../state.ts"
import type { Did } from "./context.ts"
import { domainByDid, effectivePasidEntry, type Translation, translate } from "./iommu.ts"
import type { PasidFlags } from "./pasid-table.ts"

/** A translated request: the state (IOTLB possibly filled), the translation and the fill events. */
export interface RequestTranslation {
  readonly state: State
  readonly translation: Translation
  readonly fills: ReadonlyArray<Event>
}

/** Events of a successful flat translation: the IOTLB fill of a walk, if any. */
const fillEvents = (did: Did | undefined, iova: Iova, page: HpaPage, source: string): ReadonlyArray<Event> =>
  source === "walk" && did !== undefined ? [{ _tag: "IotlbFilled", did, iova, page }] : []

/**
 * Translates a request of function `rid` (with `pasid`, or none) for `iova` through the entry it
 * selects. The IOMMU sees the RID the request carries on the link: the function's DMA alias, when
 * it has one (`topology.ts` `requesterId`; an aliased function sends no PASID and is never nested).
 */
export const translateRequest = (state: State, rid: Rid, iova: Iova, pasid: number | undefined): RequestTranslation => {
  const attachment = nestedAttachmentFor(state, rid, pasid)
  if (attachment !== undefined && state.nesting !== undefined) {
    if (attachment.pasid !== 0 && !attachment.enabled)
      return {
        state,
        translation: { _tag: "Blocked", reason: `${rid}'s PASID ${attachment.pasid} entry is disabled` },
        fills: [],
      }
    const r = nestedTranslate(state, state.nesting, attachment, iova)
    return {
      state: r.nesting === state.nesting ? state : { ...state, nesting: r.nesting },
      translation: r.translation,
      fills: r.filled === undefined ? [] : [{ _tag: "NestedIotlbFilled", ...r.filled }],
    }
  }
  const alias = pasid === undefined ? state.functions.find((f) => f.rid === rid)?.requesterId : undefined
  const { iommu, translation } = translate(state.iommu, alias ?? rid, iova, pasid)
  return {
    state: iommu === state.iommu ? state : { ...state, iommu },
    translation,
    fills:
      translation._tag === "Translated" ? fillEvents(translation.did, iova, translation.page, translation.source) : [],
  }
}

/**
 * The flags of the PASID entry that requests of `rid` with `pasid` meet: the nested attachment's
 * when the guest attached one there, else the flat PASID entry's as the IOMMU sees it (cached or
 * not); `undefined` when neither exists.
 */
export const pasidEntryFlags = (state: State, rid: Rid, pasid: number): PasidFlags | undefined =>
  nestedAttachmentFor(state, rid, pasid) ?? effectivePasidEntry(state.iommu, rid, pasid).entry

/**
 * The VM whose address space the PASID entry of (`rid`, `pasid`) names now: the nested
 * attachment's VM, or the owner of the flat entry's domain; `undefined` when no entry exists.
 * Page requests of the PASID are that VM's to answer (seed thread 002; iommufd delivers a nested
 * domain's faults to its guest).
 */
export const pasidOwner = (state: State, rid: Rid, pasid: number): VmId | undefined => {
  const a = nestedAttachmentFor(state, rid, pasid)
  if (a !== undefined) return a.vm
  const e = effectivePasidEntry(state.iommu, rid, pasid).entry
  return e === undefined ? undefined : domainByDid(state.iommu, e.did)?.vm
}
