/**
 * Nested translation (VT-d 4.x §3.8 nested translation; AMD IOMMU §2.2.7 two-level translation;
 * SMMUv3 §3.3.2 stage 1 + stage 2): a request of (RID, PASID) whose PASID has a nested attachment
 * goes through the guest's stage-1 table (IOVA -> GPA) and then the VM's nesting parent (GPA ->
 * HPA). The IOTLB caches the combined IOVA -> HPA under the attachment's hardware tag; a walk that
 * is not present at either stage is not cached (no negative caching).
 *
 * A request without PASID uses the attachment of PASID 0 (RID_PASID), if any; otherwise it takes
 * the flat path of `iommu/iommu.ts` (the context entry's stage-2 domain).
 *
 * @module
 */
import type { HpaPage, Iova, Rid } from "../ids.ts"
import { walk } from "../iommu/domain.ts"
import { domainOfVm, type Translation, tablesTranslate } from "../iommu/iommu.ts"
import type { State } from "../state.ts"
import {
  attachmentOf,
  type NestedAttachment,
  type NestedIotlbEntry,
  type Nesting,
  nestedIotlbFill,
  nestedIotlbLookup,
  stage1Table,
  stage1Walk,
} from "./nesting.ts"

/** The attachment a request of `rid` with `pasid` (undefined: none) goes through, if nested. */
export const nestedAttachmentFor = (state: State, rid: Rid, pasid: number | undefined): NestedAttachment | undefined =>
  state.nesting === undefined ? undefined : attachmentOf(state.nesting, rid, pasid ?? 0)

/** The walk through both stages for attachment `a`: the HPA page, or `undefined` when not present. */
export const combinedWalk = (state: State, a: NestedAttachment, iova: Iova): HpaPage | undefined => {
  const n = state.nesting
  const gpa = n === undefined ? undefined : stage1Walk(stage1Table(n, a.vm, a.table), iova)
  const parent = domainOfVm(state.iommu, a.vm)
  return gpa === undefined || parent === undefined ? undefined : walk(parent, gpa)
}

/** The result of a nested translation: the translation, the nesting state (IOTLB maybe filled) and the fill. */
export interface NestedTranslation {
  readonly translation: Translation
  readonly nesting: Nesting
  readonly filled: NestedIotlbEntry | undefined
}

/** Translates `iova` through attachment `a`: combined IOTLB, else the two-stage walk (filling the IOTLB). */
export const nestedTranslate = (state: State, n: Nesting, a: NestedAttachment, iova: Iova): NestedTranslation => {
  const hit = nestedIotlbLookup(n, a.domainTag, a.addressSpace, iova)
  if (hit !== undefined)
    return {
      translation: { _tag: "Translated", did: undefined, page: hit.page, source: "iotlb" },
      nesting: n,
      filled: undefined,
    }
  const page = combinedWalk(state, a, iova)
  if (page === undefined) return { translation: { _tag: "NotPresent", did: undefined }, nesting: n, filled: undefined }
  const filled = { domainTag: a.domainTag, addressSpace: a.addressSpace, iova, page }
  return {
    translation: { _tag: "Translated", did: undefined, page, source: "walk" },
    nesting: nestedIotlbFill(n, filled),
    filled,
  }
}

/**
 * What the tables alone give for (`rid`, `pasid`, `iova`), caches aside: the two-stage walk for a
 * nested attachment, else the flat tables (`tablesTranslate`). The reference the cache-coherence
 * properties compare the IOTLB and the ATCs against.
 */
export const referenceTranslate = (state: State, rid: Rid, iova: Iova, pasid?: number): HpaPage | undefined => {
  const a = nestedAttachmentFor(state, rid, pasid)
  return a !== undefined ? combinedWalk(state, a, iova) : tablesTranslate(state.iommu, rid, iova, pasid)
}
