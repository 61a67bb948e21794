/**
 * `dma-isolation`: every DMA that completes reads or writes only a physical page owned by the
 * current owner of the function that issued it.
 *
 * The isolation goal of DMA remapping (VT-d 4.x §2.5.1.1 "isolation of system software from
 * devices", §3.1; SMMUv3 §1; PCIe Base 6.0 §10.1.1 on why ATS-translated requests are trusted only
 * to the extent the translation is current). A page that is `"free"` belongs to no one the device
 * may reach: a DMA into it is a use-after-free of memory the host may hand to anyone next.
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import { describeFunction } from "../model/pcie/function.ts"
import type { Property } from "./property.ts"

const pathWords = { iotlb: "an IOTLB hit", walk: "a page walk", translated: "its ATC (translated request)" } as const

/** The `dma-isolation` property. */
export const dmaIsolation: Property = {
  id: "dma-isolation",
  statement: "Every DMA that completes reads or writes only a physical page owned by its function's current owner.",
  kind: "isolation",
  citation: "VT-d 4.x §3.1 (DMA remapping isolates devices); PCIe Base 6.0 §10.1.1 (ATS trust)",
  check: ({ before, events }) => {
    for (const e of events) {
      if (e._tag !== "DmaCompleted") continue
      const fn = before.functions.find((f) => f.rid === e.rid)
      const pageOwner = before.memory[e.page]
      if (fn !== undefined && pageOwner !== fn.owner)
        return `${describeFunction(fn)} ${e.access === "write" ? "wrote" : "read"} HPA page ${e.page} ${pageOwner === "free" ? "which is free (owned by no one)" : `owned by ${pageOwner}`} through ${pathWords[e.path]} for IOVA ${formatIova(e.iova)}`
    }
    return undefined
  },
}
