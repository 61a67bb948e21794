/**
 * An IOMMU domain: a page table from IOVA to HPA page, owned by the host on behalf of one VM
 * (stage-2 for an assigned VF: the IOVA is the guest physical address; VT-d §3.7 second-stage
 * translation, SMMUv3 §3.3 stage 2, AMD IOMMU §2.2.3 host page tables). The host edits it through
 * VFIO (`VFIO_IOMMU_MAP_DMA` / `VFIO_IOMMU_UNMAP_DMA`). Its mappings live as long as the VM's
 * container (vfio type1 keeps them and replays them into a new hardware domain); its Domain-ID
 * (`did`) only while some requester uses the domain (`domain-tag.ts`).
 *
 * @module
 */
import type { HpaPage, Iova, VmId } from "../ids.ts"
import type { Did } from "./context.ts"
import { putByKey } from "../keyed.ts"

/**
 * A present leaf PTE: IOVA (bytes) to HPA page, read/write, one 4 KiB granule of a mapping that
 * starts at IOVA `base` (the model's scaled-down large page: a mapping of several consecutive
 * granules onto consecutive HPA pages, made and unmapped as one, as `VFIO_IOMMU_MAP_DMA` of a
 * 2 MiB range maps a large page that vfio only unmaps whole).
 */
export interface Pte {
  readonly iova: Iova
  readonly page: HpaPage
  readonly base: Iova
  /**
   * A firmware unity map (IOVA = HPA) the host installed for a device's reserved memory region
   * (`reserved-regions.ts`), not a mapping of the VMM's: `VFIO_IOMMU_UNMAP_DMA` cannot remove it
   * and `VFIO_IOMMU_MAP_DMA` cannot replace it.
   */
  readonly unity?: true
}

/** The granules of the mapping that contains `iova`, in IOVA order; empty when `iova` is not mapped. */
export const mappingAt = (domain: Domain, iova: Iova): ReadonlyArray<Pte> => {
  const base = domain.ptes.find((p) => p.iova === iova)?.base
  return base === undefined ? [] : domain.ptes.filter((p) => p.base === base)
}

/** A domain and its page table (PTEs sorted by IOVA, at most one per IOVA). */
export interface Domain {
  /** The Domain-ID while the domain has users (a context or PASID entry names it); none otherwise. */
  readonly did: Did | undefined
  readonly vm: VmId
  readonly ptes: ReadonlyArray<Pte>
}

/** The page table walk: the HPA page `iova` maps to, or `undefined` when the PTE is not present. */
export const walk = (domain: Domain, iova: Iova): HpaPage | undefined => domain.ptes.find((p) => p.iova === iova)?.page

/** Writes a present PTE. */
export const setPte = (domain: Domain, pte: Pte): Domain => ({
  ...domain,
  ptes: putByKey(domain.ptes, pte, (a, b) => a.iova - b.iova),
})

/** Clears the PTE for `iova`. */
export const clearPte = (domain: Domain, iova: Iova): Domain => ({
  ...domain,
  ptes: domain.ptes.filter((p) => p.iova !== iova),
})
