/**
 * The IOMMU: context entries, domains with their page tables, and the IOTLB, with the translation
 * of untranslated requests and ATS Translation Requests.
 *
 * Untranslated request (VT-d 4.x §3.6–3.7, AMD IOMMU §2.2, SMMUv3 §3.2): the RID selects a context
 * entry and so a DID; the IOTLB is looked up by (DID, IOVA); on a miss the page table is walked
 * and a present result is cached. A Translation Request (PCIe Base 6.0 §10.2.2; VT-d §4.2.3) goes
 * the same way and its completion goes back to the device instead of to memory. A not-present walk
 * is a fault for an untranslated request and a completion without access (R=W=0) for a
 * Translation Request.
 *
 * @module
 */
import type { HpaPage, Iova, Rid, VmId } from "../ids.ts"
import { type ContextTable, contextDid, type Did } from "./context.ts"
import { type Domain, walk } from "./domain.ts"
import { type Iotlb, iotlbFill, iotlbLookup } from "./iotlb.ts"

/** The IOMMU's state. */
export interface Iommu {
  readonly context: ContextTable
  /** Sorted by DID. */
  readonly domains: ReadonlyArray<Domain>
  readonly iotlb: Iotlb
}

/** The domain with `did`, if it exists. */
export const domainByDid = (iommu: Iommu, did: Did): Domain | undefined => iommu.domains.find((d) => d.did === did)

/** The domain the host created for `vm`, if it exists. */
export const domainOfVm = (iommu: Iommu, vm: VmId): Domain | undefined => iommu.domains.find((d) => d.vm === vm)

/** Replaces the domain with the same DID. */
export const putDomain = (iommu: Iommu, domain: Domain): Iommu => ({
  ...iommu,
  domains: iommu.domains.map((d) => (d.did === domain.did ? domain : d)),
})

/** Result of translating an IOVA for a RID. */
export type Translation =
  | { readonly _tag: "Blocked" }
  | { readonly _tag: "NotPresent"; readonly did: Did }
  | { readonly _tag: "Translated"; readonly did: Did; readonly page: HpaPage; readonly source: "iotlb" | "walk" }

/**
 * Translates `iova` for `rid` (untranslated request or Translation Request): context entry, IOTLB,
 * then walk; a successful walk fills the IOTLB. Returns the new IOMMU state (IOTLB possibly filled)
 * and the translation.
 */
export const translate = (
  iommu: Iommu,
  rid: Rid,
  iova: Iova,
): { readonly iommu: Iommu; readonly translation: Translation } => {
  const did = contextDid(iommu.context, rid)
  if (did === undefined) return { iommu, translation: { _tag: "Blocked" } }
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
