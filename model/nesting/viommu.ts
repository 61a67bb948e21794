/**
 * iommufd's virtual IOMMU of a VM and its vRID -> pRID table (seed thread 001: "The vRID->pRID
 * table should be some mostly common IOMMUFD_DEV_ASSIGN_VIRTUAL_ID"; Linux `IOMMU_VDEVICE_ALLOC`,
 * `drivers/iommu/iommufd/viommu.c`), and what happens to it when a VF moves between VMs.
 When a VF is assigned to a VM with nesting, the VMM gives it the
 * next free vRID on the guest's bus (`00:01.0`, `00:02.0`, …) and registers vRID -> pRID. When it
 * leaves the VM, `host/release.ts` removes the entry (`vRidOnReassign: "remove"`, as iommufd
 * destroys a vDEVICE with its device) or keeps it.
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import { type Nesting, putVrids, viommuOf } from "./nesting.ts"

/** The vRID for device number `k` on the guest's bus 00: `virtualRid(1) === "00:01.0"`. */
const virtualRid = (k: number): Rid => `00:${k.toString(16).padStart(2, "0")}.0`

/** Registers `rid` in `vm`'s virtual IOMMU under the next free vRID; returns the state and the vRID. */
export const allocateVrid = (n: Nesting, vm: VmId, rid: Rid): { readonly nesting: Nesting; readonly vrid: Rid } => {
  const used = viommuOf(n, vm)?.vrids ?? []
  let k = 1
  while (used.some((e) => e.vrid === virtualRid(k))) k++
  const vrid = virtualRid(k)
  return { nesting: putVrids(n, vm, [...used, { vrid, rid }]), vrid }
}
