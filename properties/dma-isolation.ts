/**
 * `dma-isolation`: every DMA that completes reads or writes only a physical page owned by the
 * current owner of the interface that issued it — the function, or the ADI or mdev behind its RID.
 *
 * The isolation goal of DMA remapping (VT-d 4.x §3.1; SMMUv3 §1; PCIe Base 6.0 §10.1.1 on why
 * ATS-translated requests are trusted only to the extent the translation is current); for
 * sub-devices that share a RID, seed threads 000 (ADIs told apart by PASID) and 003 (mdevs with no
 * DMA isolation; vfio no-iommu). A page that is `"free"` belongs to no one the device may reach: a
 * DMA into it is a use-after-free of memory the host may hand to anyone next. DMA by an interface
 * the host owns is the host's own (trusted) activity and is not judged here. A posted write that
 * arrives after the function changed hands is judged by the owner it was issued under (issue
 * "device lifecycle"; XSA-302: a deassigned device still writing into host memory): the old owner's
 * data must land in the old owner's memory, not the next owner's or the host's.
 *
 * @module
 */
import { formatIova } from "../model/ids.ts"
import { describeFunction } from "../model/pcie/function.ts"
import { interfaceOwner } from "../model/pcie/requester.ts"
import type { Property } from "./property.ts"

const pathWords = {
  iotlb: "an IOTLB hit",
  walk: "a page walk",
  translated: "its ATC (translated request)",
  "pass-through": "an untranslated (physical) address",
  trusted: "the trusted (T=1) translation",
} as const

/** The `dma-isolation` property. */
export const dmaIsolation: Property = {
  id: "dma-isolation",
  statement:
    "Every DMA that completes reads or writes only a physical page owned by the current owner of the function, ADI or mdev that issued it.",
  kind: "isolation",
  citation: "VT-d 4.x §3.1 (DMA remapping isolates devices); PCIe Base 6.0 §10.1.1 (ATS trust); seed threads 000, 003",
  scope: "events",
  check: ({ before, events }) => {
    for (const e of events) {
      if (e._tag !== "DmaCompleted") continue
      const iface = e.initiator ?? e.rid
      const owner = e.issuedUnder ?? interfaceOwner(before, iface)
      const pageOwner = before.memory[e.page]
      if (owner !== undefined && owner !== "host" && pageOwner !== owner) {
        const fn = before.functions.find((f) => f.rid === e.rid)
        const who =
          e.issuedUnder !== undefined
            ? `a write ${e.rid} posted for ${owner}${fn !== undefined && fn.owner !== owner ? ` (the function is now ${fn.owner}'s)` : ""}`
            : e.initiator !== undefined
              ? `${e.initiator} of ${e.rid} (${owner})`
              : fn !== undefined
                ? describeFunction(fn)
                : `${e.rid} (${owner})`
        const whose = pageOwner === "free" ? "which is free (owned by no one)" : `owned by ${pageOwner}`
        return `${who} ${e.issuedUnder !== undefined ? "landed on" : e.access === "write" ? "wrote" : "read"} HPA page ${e.page} ${whose} through ${pathWords[e.path]} for IOVA ${formatIova(e.iova)}`
      }
    }
    return undefined
  },
}
