/**
 * Peer-to-peer requests (issue "adversarial devices"): a function's memory request whose address
 * falls in a BAR of another function, which a guest can program its device's DMA engine with (a
 * BAR's bus address is no secret).
 *
 * - Between functions the platform does not isolate (`iommu-group.ts` `unisolated`: a device
 *   without ACS, a conventional bus below a PCIe-to-PCI bridge) the request is routed straight to
 *   the peer: the IOMMU never sees it (PCIe Base 6.0 §6.12.1.2; why Linux puts them in one IOMMU
 *   group).
 * - Otherwise ACS P2P Request Redirect sends it up to the root complex, where the IOMMU translates
 *   the address through the context entry of the RID it carries: a pass-through entry leaves it
 *   physical (it reaches the peer); a domain reaches the peer only when the VMM mapped that BAR
 *   into it, which it does for the devices assigned to the same VM (QEMU maps assigned devices'
 *   BARs into the container for P2P), so a peer of another owner faults.
 *
 * @module
 */
import { effectiveContext, domainByDid } from "../iommu/iommu.ts"
import type { Rid } from "../ids.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { linkRid, mastersBus } from "./function.ts"
import { unisolated } from "./iommu-group.ts"

/**
 * `DevicePeerRequest { rid, peer, access }`: a read or write by `rid` of a BAR of `peer`. Rejected
 * for an unknown function or peer, the function itself, a function that does not master the bus,
 * or a removed peer; faulted when the IOMMU finds no mapping of the peer's BAR.
 */
export const peerRequest = (state: State, rid: Rid, peer: Rid, access: "read" | "write"): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  const target = state.functions.find((f) => f.rid === peer)
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (target === undefined || target.rid === rid) return unchanged(state, rejected(`no peer ${peer} of ${rid}`))
  if (!mastersBus(fn)) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  if (target.link === "removed") return unchanged(state, rejected(`${peer} is removed`))
  if (unisolated(fn, target))
    return { state, outcome: ok, events: [{ _tag: "PeerRequestCompleted", rid, peer, access, path: "direct" }] }
  const entry = effectiveContext(state.iommu, linkRid(fn)).entry
  const vm = entry?.kind === "translated" ? domainByDid(state.iommu, entry.did)?.vm : undefined
  if (entry?.kind === "pass-through" || (vm !== undefined && vm === target.owner))
    return { state, outcome: ok, events: [{ _tag: "PeerRequestCompleted", rid, peer, access, path: "iommu" }] }
  const reason =
    entry === undefined
      ? `${linkRid(fn)} has no context entry`
      : `no mapping of ${peer}'s BAR in ${vm === undefined ? "the requester's domain" : `${vm}'s domain`}`
  return { state, outcome: faulted(reason), events: [{ _tag: "PeerRequestFaulted", rid, peer, access, reason }] }
}
