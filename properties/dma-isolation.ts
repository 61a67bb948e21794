/**
 * `dma-isolation`: every DMA that completes reads or writes only memory owned by the owner of the
 * interface that issued it — the function, or the ADI or mdev behind its RID: a physical page, or
 * the BAR of a function it reaches peer to peer.
 *
 * The isolation goal of DMA remapping (VT-d 4.x §3.1; SMMUv3 §1; PCIe Base 6.0 §10.1.1 on why
 * ATS-translated requests are trusted only to the extent the translation is current); for
 * sub-devices that share a RID, seed threads 000 (ADIs told apart by PASID) and 003 (mdevs with no
 * DMA isolation; vfio no-iommu). A page that is `"free"` belongs to no one the device may reach: a
 * DMA into it is a use-after-free of memory the host may hand to anyone next.
 *
 * Whose memory a request may reach:
 * - an honest interface the host owns: whatever the host's driver points it at (the host's own,
 *   trusted activity, not judged here);
 * - an honest interface a VM owns: the VM's; a posted write that arrives after the function
 *   changed hands is judged by the owner it was issued under (issue "device lifecycle"; XSA-302: a
 *   deassigned device still writing into host memory): the old owner's data must land in the old
 *   owner's memory, not the next owner's or the host's;
 * - a malicious function (issue "adversarial devices"; the topology's ground truth, which the host
 *   does not know): the owner it has when the request arrives, and while vfio releases it, the VM
 *   it is leaving, which gave it that access (its data may reach nothing else: not another VM,
 *   not the host's memory, not a free page, and not, while the host owns it, any VM's).
 *
 * A function's BAR is its owner's memory: a VM's, or the host's while the host uses the function
 * (its PF driver, a driver on a pass-through context). An idle host-owned function (no driver,
 * blocked) holds nothing of anyone's, and vfio resets it before it gives it to a VM, so reaching
 * it is not judged (the free-page analogue would be a BAR the next owner receives unreset; the
 * model holds no device-internal state besides the ATC, page request groups and MSI-X table, so a
 * function with no reset method, `flr: false`, passes on only those).
 *
 * @module
 */
import type { Event } from "../model/event.ts"
import { type FunctionOwner, formatIova } from "../model/ids.ts"
import { describeFunction } from "../model/pcie/function.ts"
import { inHostUse } from "../model/pcie/iommu-group.ts"
import { releaseOf } from "../model/host/release.ts"
import { interfaceOwner } from "../model/pcie/requester.ts"
import type { State } from "../model/state.ts"
import type { Property } from "./property.ts"

const pathWords = {
  iotlb: "an IOTLB hit",
  walk: "a page walk",
  translated: "its ATC (translated request)",
  "pass-through": "an untranslated (physical) address",
  trusted: "the trusted (T=1) translation",
  forged: "a translated request it forged (no Translation Completion ever gave it this address)",
} as const

/**
 * The owners whose memory the DMA `e` of interface `iface` (of function `e.rid`) may reach, or
 * `undefined` when it is not judged (an honest interface of the host's, or one unknown).
 */
const mayReach = (
  before: State,
  e: { readonly rid: string; readonly issuedUnder?: FunctionOwner | undefined },
  iface: string,
): ReadonlyArray<FunctionOwner> | undefined => {
  const fn = before.functions.find((f) => f.rid === e.rid)
  const now = interfaceOwner(before, iface)
  if (fn?.malicious === true && now !== undefined) {
    const leaving = releaseOf(before, fn.rid)
    return leaving !== undefined ? [now, leaving.from] : [now]
  }
  const owner = e.issuedUnder ?? now
  return owner === undefined || owner === "host" ? undefined : [owner]
}

/** How a message names the issuer of `e`. */
const issuer = (
  before: State,
  e: {
    readonly rid: string
    readonly initiator?: string | undefined
    readonly issuedUnder?: FunctionOwner | undefined
  },
  owner: FunctionOwner,
): string => {
  const fn = before.functions.find((f) => f.rid === e.rid)
  const malicious = fn?.malicious === true ? "malicious " : ""
  if (e.issuedUnder !== undefined && fn?.malicious !== true)
    return `a write ${e.rid} posted for ${owner}${fn !== undefined && fn.owner !== owner ? ` (the function is now ${fn.owner}'s)` : ""}`
  if (e.initiator !== undefined) return `${e.initiator} of ${malicious}${e.rid} (${owner})`
  return fn !== undefined ? `${malicious}${describeFunction(fn)}` : `${e.rid} (${owner})`
}

/** The violation of event `e`, if it is a completed DMA or peer request beyond what its issuer may reach. */
const judge = (before: State, e: Event): string | undefined => {
  if (e._tag === "DmaCompleted") {
    const iface = e.initiator ?? e.rid
    const allowed = mayReach(before, e, iface)
    const pageOwner = before.memory[e.page]
    if (allowed === undefined || (pageOwner !== undefined && (allowed as ReadonlyArray<string>).includes(pageOwner)))
      return undefined
    const who = issuer(before, e, allowed[0] as FunctionOwner)
    const whose = pageOwner === "free" ? "which is free (owned by no one)" : `owned by ${pageOwner}`
    const verb = e.issuedUnder !== undefined ? "landed on" : e.access === "write" ? "wrote" : "read"
    const at = e.path === "forged" ? "" : ` for IOVA ${formatIova(e.iova)}`
    return `${who} ${verb} HPA page ${e.page} ${whose} through ${pathWords[e.path]}${at}`
  }
  if (e._tag === "PeerRequestCompleted") {
    const allowed = mayReach(before, e, e.rid)
    const target = before.functions.find((f) => f.rid === e.peer)
    if (allowed === undefined || target === undefined || allowed.includes(target.owner)) return undefined
    if (target.owner === "host" && !inHostUse(before, target)) return undefined
    const how =
      e.path === "direct" ? "peer to peer inside the device or bus, where the IOMMU never sees it" : "through the IOMMU"
    return `${issuer(before, e, allowed[0] as FunctionOwner)} ${e.access === "write" ? "wrote" : "read"} the BAR of ${describeFunction(target)} ${how}`
  }
  return undefined
}

/** The `dma-isolation` property. */
export const dmaIsolation: Property = {
  id: "dma-isolation",
  statement:
    "Every DMA that completes reads or writes only memory (a physical page, or a peer function's BAR) owned by the owner of the function, ADI or mdev that issued it.",
  kind: "isolation",
  citation:
    "VT-d 4.x §3.1 (DMA remapping isolates devices); PCIe Base 6.0 §10.1.1 (ATS trust), §6.12 (ACS); seed threads 000, 003",
  scope: "events",
  check: ({ before, events }) => {
    for (const e of events) {
      const violation = judge(before, e)
      if (violation !== undefined) return violation
    }
    return undefined
  },
}
