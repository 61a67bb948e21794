/**
 * Physical memory: the owner of every host physical page.
 *
 * State: an array indexed by HPA page frame number, each element the page's owner (`"host"`,
 * `"free"` or a VM id). The host allocates free pages to VMs and frees pages at the end of an unmap
 * procedure (DESIGN.md §2; Linux `vfio_iommu_type1` unpins a page only after `iommu_unmap` and the
 * IOTLB sync have returned).
 *
 * @module
 */
import type { HpaPage, PageOwner } from "../ids.ts"

/** Owner of each host physical page, indexed by HPA page frame number. */
export type Memory = ReadonlyArray<PageOwner>

/** Owner of `page`, or `undefined` when the page does not exist. */
export const pageOwner = (memory: Memory, page: HpaPage): PageOwner | undefined => memory[page]

/** Gives a page a new owner; the caller has checked that the page exists. */
export const setPageOwner = (memory: Memory, page: HpaPage, owner: PageOwner): Memory =>
  memory.map((o, i) => (i === page ? owner : o))

/** Pages that are `"free"`, ascending. */
export const freePages = (memory: Memory): ReadonlyArray<HpaPage> => memory.flatMap((o, i) => (o === "free" ? [i] : []))
