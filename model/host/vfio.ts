/**
 * The host's VFIO/VMM actions that complete in one step: backing a VM with pages, assigning a VF
 * to a VM (Linux `drivers/vfio/pci`: the VF's RID is attached to the VM's `vfio_iommu_type1`
 * domain, so its context entry points at the VM's DID) and `VFIO_IOMMU_MAP_DMA` of one page.
 * The unmap, which real systems run as several steps, is in `unmap.ts`.
 *
 * @module
 */
import { formatIova, type HpaPage, type Iova, type Rid, type VmId } from "../ids.ts"
import { setContext } from "../iommu/context.ts"
import { setPte, walk } from "../iommu/domain.ts"
import { domainOfVm, putDomain } from "../iommu/iommu.ts"
import { pageOwner, setPageOwner } from "../memory/pages.ts"
import { ok, rejected } from "../outcome.ts"
import { atsReset } from "../pcie/ats.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { procedureByPid } from "./host.ts"
import { unmapPid } from "./unmap.ts"

/** `HostAllocatePage { page, vm }`: a free page becomes the VM's. Rejected unless the page is free. */
export const allocatePage = (state: State, page: HpaPage, vm: VmId): StepResult => {
  if (domainOfVm(state.iommu, vm) === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const owner = pageOwner(state.memory, page)
  if (owner !== "free") return unchanged(state, rejected(`page ${page} is ${owner ?? "not present"}, not free`))
  return {
    state: { ...state, memory: setPageOwner(state.memory, page, vm) },
    outcome: ok,
    events: [{ _tag: "PageAllocated", page, vm }],
  }
}

/**
 * `HostAssignFunction { rid, vm }`: VFIO assigns a host-owned VF to the VM. The function is reset
 * on open (VFIO issues an FLR, PCIe Base 6.0 §6.6.2, which empties its ATC) and its context entry
 * is pointed at the VM's domain. Rejected for a PF, an unknown RID or a VF already assigned.
 */
export const assignFunction = (state: State, rid: Rid, vm: VmId): StepResult => {
  const domain = domainOfVm(state.iommu, vm)
  if (domain === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (fn.kind !== "vf") return unchanged(state, rejected(`${rid} is a PF; only VFs are assigned`))
  if (fn.owner !== "host") return unchanged(state, rejected(`${rid} is already assigned to ${fn.owner}`))
  return {
    state: {
      ...state,
      functions: updateFunction(state.functions, index, (f) => ({ ...f, owner: vm, ats: atsReset(f.ats.enabled) })),
      iommu: { ...state.iommu, context: setContext(state.iommu.context, { rid, did: domain.did }) },
    },
    outcome: ok,
    events: [{ _tag: "FunctionAssigned", rid, vm, did: domain.did }],
  }
}

/**
 * `HostMapIova { vm, iova, page }`: writes the PTE. Rejected when the page is not the VM's, the
 * IOVA is already mapped, or an unmap of it is still in flight (the IOVA is not reusable until
 * `VFIO_IOMMU_UNMAP_DMA` has returned).
 */
export const mapIova = (state: State, vm: VmId, iova: Iova, page: HpaPage): StepResult => {
  const domain = domainOfVm(state.iommu, vm)
  if (domain === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  if (!state.iovas.includes(iova)) return unchanged(state, rejected(`${formatIova(iova)} is outside the IOVA space`))
  const owner = pageOwner(state.memory, page)
  if (owner !== vm) return unchanged(state, rejected(`page ${page} is ${owner ?? "not present"}, not ${vm}'s`))
  if (walk(domain, iova) !== undefined) return unchanged(state, rejected(`${formatIova(iova)} is already mapped`))
  if (procedureByPid(state.host, unmapPid(vm, iova)) !== undefined)
    return unchanged(state, rejected(`an unmap of ${formatIova(iova)} is in flight`))
  return {
    state: { ...state, iommu: putDomain(state.iommu, setPte(domain, { iova, page })) },
    outcome: ok,
    events: [{ _tag: "PteWritten", did: domain.did, iova, page }],
  }
}
