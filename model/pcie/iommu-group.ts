/**
 * IOMMU groups (issue "adversarial devices"): the sets of functions the platform cannot isolate
 * from one another, and so the smallest unit the host can safely give to one owner (Linux
 * `pci_device_group`, Documentation/driver-api/vfio.rst "Groups, Devices, and IOMMUs").
 *
 * Two functions are not isolated from each other when:
 * - their requests carry the same RID (a DMA alias: conventional devices behind one PCIe-to-PCI
 *   bridge, a device whose DMA uses another function's number), so the IOMMU cannot tell them
 *   apart (Linux `pci_for_each_dma_alias`, `get_pci_alias_group`); devices behind one conventional
 *   bridge also share its bus, where they reach each other without the IOMMU seeing it;
 * - they are functions of one device (same bus and device number) and one of them lacks ACS Source
 *   Validation and P2P Request Redirect (PCIe Base 6.0 §6.12.1.2; Linux
 *   `get_pci_function_alias_group` with `REQ_ACS_FLAGS`): a request of one can reach the other's
 *   BARs inside the device, never going up to the IOMMU.
 * A group is the transitive closure of that relation.
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import type { State } from "../state.ts"
import { linkRid, type PcieFunction } from "./function.ts"

/** `"01:00"` of `"01:00.1"`: the bus and device number of a RID. */
const deviceOf = (rid: Rid): string => rid.slice(0, 5)

/**
 * Whether `a` and `b` (distinct functions) can reach each other peer to peer, without the IOMMU:
 * behind one conventional bridge (same requester RID), or in one device without ACS between them.
 */
export const unisolated = (a: PcieFunction, b: PcieFunction): boolean =>
  a.rid !== b.rid &&
  (linkRid(a) === linkRid(b) ||
    linkRid(a) === b.rid ||
    linkRid(b) === a.rid ||
    (deviceOf(a.rid) === deviceOf(b.rid) && (a.acs === false || b.acs === false)))

/** The IOMMU group of `rid`: `rid`'s function and every function it is transitively unisolated from, in RID order. */
export const iommuGroup = (state: State, rid: Rid): ReadonlyArray<PcieFunction> => {
  const start = state.functions.find((f) => f.rid === rid)
  if (start === undefined) return []
  const members = [start]
  for (let i = 0; i < members.length; i++) {
    const m = members[i] as PcieFunction
    for (const f of state.functions) if (!members.includes(f) && unisolated(m, f)) members.push(f)
  }
  return state.functions.filter((f) => members.includes(f))
}

/**
 * Whether the host uses a host-owned function itself, so that vfio cannot take its group (the
 * group is not viable, vfio.rst): its driver DMAs through a pass-through context, or it is a PF
 * the host's PF driver needs (it has VFs or sub-devices, or the PASID/PRI capability the host
 * shares).
 */
export const inHostUse = (state: State, fn: PcieFunction): boolean =>
  fn.owner === "host" &&
  (state.iommu.context.some((e) => e.rid === fn.rid && e.kind === "pass-through") ||
    fn.caps !== undefined ||
    state.functions.some((v) => v.pf === fn.rid) ||
    state.subdevices.some((d) => d.parent === fn.rid))
