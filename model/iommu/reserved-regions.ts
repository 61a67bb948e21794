/**
 * Firmware reserved memory regions of devices (issue "adversarial devices"): VT-d RMRRs (VT-d 4.x
 * §8.4, "Reserved Memory Region Reporting"), AMD IVMD blocks and Arm IORT RMR nodes name host
 * memory a device keeps using on its own (a USB controller's legacy keyboard buffer, a GPU's
 * stolen memory), so the platform identity-maps it (IOVA = HPA: a unity map) in the device's
 * domain. The topology's `rmrr` lists a function's reserved pages; they belong to the host.
 *
 * What becomes of the unity map when the host gives such a device to a VM is the design choice
 * (knob `rmrrOnAssign`): the host refuses (Linux VT-d, `device_is_rmrr_locked()`), assigns
 * without it (Linux for relaxable RMRRs and AMD IVMD: vfio's unmanaged domain gets no direct
 * mapping, `iommu_create_device_direct_mappings` maps only DMA domains), or installs it in the
 * VM's domain (Xen's reserved device memory, identity-mapped into the guest), where the VM's
 * driver can point the device at it. A unity map that would land on an IOVA the VMM already mapped
 * is a conflict that fails the attach (vfio `vfio_iommu_resv_conflict`, Xen `rdm_policy=strict`).
 *
 * @module
 */
import type { Event } from "../event.ts"
import { formatIova, PAGE_SIZE, type VmId } from "../ids.ts"
import type { PcieFunction } from "../pcie/function.ts"
import type { PolicyValues } from "../policy.ts"
import { setPte, walk } from "./domain.ts"
import { domainOfVm, type Iommu, putDomain } from "./iommu.ts"

/**
 * Why the host cannot attach `fn` to `vm` because of its reserved memory (one line), or
 * `undefined`: refused by policy, or a unity map would replace a mapping of the VMM's.
 */
export const reservedRegionRefusal = (
  policy: PolicyValues,
  iommu: Iommu,
  fn: PcieFunction,
  vm: VmId,
): string | undefined => {
  const pages = fn.rmrr ?? []
  if (pages.length === 0 || policy.rmrrOnAssign === "drop-unity-map") return undefined
  if (policy.rmrrOnAssign === "refuse")
    return `${fn.rid} has an RMRR (page ${pages.join(", ")}): ineligible for a VM's domain`
  const domain = domainOfVm(iommu, vm)
  for (const page of pages) {
    const iova = page * PAGE_SIZE
    const pte = domain?.ptes.find((p) => p.iova === iova)
    if (pte !== undefined && pte.unity !== true)
      return `${fn.rid}'s RMRR unity map at ${formatIova(iova)} conflicts with ${vm}'s mapping there`
  }
  return undefined
}

/**
 * Installs `fn`'s unity maps in `vm`'s domain under `rmrrOnAssign: "keep-unity-map"` (nothing
 * otherwise). The caller has checked {@link reservedRegionRefusal}.
 */
export const installUnityMaps = (
  policy: PolicyValues,
  iommu: Iommu,
  fn: PcieFunction,
  vm: VmId,
): { readonly iommu: Iommu; readonly events: ReadonlyArray<Event> } => {
  const domain0 = domainOfVm(iommu, vm)
  if (policy.rmrrOnAssign !== "keep-unity-map" || domain0 === undefined || fn.rmrr === undefined)
    return { iommu, events: [] }
  let domain = domain0
  const events: Array<Event> = []
  for (const page of fn.rmrr) {
    const iova = page * PAGE_SIZE
    if (walk(domain, iova) !== undefined) continue
    domain = setPte(domain, { iova, page, base: iova, unity: true })
    events.push({ _tag: "PteWritten", vm, iova, page, unityFor: fn.rid })
  }
  return domain === domain0 ? { iommu, events } : { iommu: putDomain(iommu, domain), events }
}
