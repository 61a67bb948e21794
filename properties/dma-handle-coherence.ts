/**
 * `dma-handle-coherence`: a DMA through a handle reaches exactly the page the handle was mapped
 * to, while it is mapped; and `dma_unmap` removes only the mapping its own handle made.
 *
 * Seed thread 004, Jason Gunthorpe: "dma_addr1 = dma_map() <== Must return a bypass address
 * because T=0; goto_t_1() <== Now dma_addr1 stops being usable; dma_addr2 = dma_map() <== Must
 * return a translated address through the vIOMMU; dma_unmap(dma_addr1) <== Well now you've done
 * it. Your kernel explodes." The handles and their pages are the guest driver's own state.
 *
 * @module
 */
import type { Property } from "./property.ts"

/** The `dma-handle-coherence` property. */
export const dmaHandleCoherence: Property = {
  id: "dma-handle-coherence",
  statement:
    "A DMA through a live handle reaches exactly the page the handle was mapped to, and dma_unmap removes only its own handle's mapping.",
  kind: "coherence",
  citation:
    "Seed thread 004 (DMA addresses across a T=0 -> T=1 flip); Linux DMA API contract (dma_map_single/dma_unmap_single)",
  scope: "events",
  check: ({ before, events }) => {
    for (const e of events) {
      if (e._tag === "DmaCompleted" && e.handle !== undefined) {
        const owner = before.functions.find((f) => f.rid === e.rid)?.owner
        const handle = before.guests
          .find((g) => g.vm === owner)
          ?.dma.find((d) => d.rid === e.rid)
          ?.handles.find((h) => h.id === e.handle)
        if (handle !== undefined && handle.page !== e.page)
          return `DMA through ${owner}'s handle ${e.handle} (a T=${handle.mode} mapping of page ${handle.page}) reached page ${e.page} with T=${e.t}`
      }
      if (e._tag === "DmaUnmapped")
        for (const m of e.removed)
          if (m.iova !== e.iova || m.page !== e.page)
            return `${e.vm}'s dma_unmap(handle ${e.handle}, page ${e.page}) removed another mapping: IOVA 0x${m.iova.toString(16)} -> page ${m.page}`
    }
    return undefined
  },
}
