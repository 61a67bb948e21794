/**
 * An IOMMU domain: a page table from IOVA to HPA page, owned by the host on behalf of one VM
 * (stage-2 for an assigned VF: the IOVA is the guest physical address; VT-d §3.7 second-stage
 * translation, SMMUv3 §3.3 stage 2, AMD IOMMU §2.2.3 host page tables). The host edits it through
 * VFIO (`VFIO_IOMMU_MAP_DMA` / `VFIO_IOMMU_UNMAP_DMA`).
 *
 * @module
 */
import type { HpaPage, Iova, VmId } from "../ids.ts"
import type { Did } from "./context.ts"

/** A present leaf PTE: IOVA (bytes) to HPA page, read/write. */
export interface Pte {
  readonly iova: Iova
  readonly page: HpaPage
}

/** A domain and its page table (PTEs sorted by IOVA, at most one per IOVA). */
export interface Domain {
  readonly did: Did
  readonly vm: VmId
  readonly ptes: ReadonlyArray<Pte>
}

/** The page table walk: the HPA page `iova` maps to, or `undefined` when the PTE is not present. */
export const walk = (domain: Domain, iova: Iova): HpaPage | undefined => domain.ptes.find((p) => p.iova === iova)?.page

/** Writes a present PTE. */
export const setPte = (domain: Domain, pte: Pte): Domain => ({
  ...domain,
  ptes: [...domain.ptes.filter((p) => p.iova !== pte.iova), pte].sort((a, b) => a.iova - b.iova),
})

/** Clears the PTE for `iova`. */
export const clearPte = (domain: Domain, iova: Iova): Domain => ({
  ...domain,
  ptes: domain.ptes.filter((p) => p.iova !== iova),
})
