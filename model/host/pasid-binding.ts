/**
 * Binding a PASID of a function to a VM's address space (seed thread 002; Linux
 * `iommu_attach_device_pasid`, VT-d 4.x §9.6): the host installs the PASID entry (RID, PASID) ->
 * the VM's domain. A VF's PASID is bound for the VM it is assigned to, through its vIOMMU, with the
 * entry flags vfio's capability policy gives; a host-owned PF shares its PASIDs among VMs (as
 * Scalable IOV and SVA do), each bound PASID letting everything through. Unbinding is the teardown
 * procedure in `pasid-teardown.ts`.
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import { domainTag } from "../iommu/domain-tag.ts"
import { domainOfVm } from "../iommu/iommu.ts"
import { ALLOW_ALL, pasidEntry, setPasidEntry } from "../iommu/pasid-table.ts"
import { ok, rejected } from "../outcome.ts"
import { governingCaps } from "../pcie/pasid-pri.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { pasidBusy } from "./pasid-teardown.ts"
import { entryFlags } from "./vfio-pasid-cap.ts"

/**
 * `HostBindPasid { rid, pasid, vm }`. Rejected for an unknown PASID value or VM, a function without
 * PASID support, a VF not assigned to `vm` or whose capability is hidden, an assigned PF, or a
 * PASID that is bound, still being torn down, or allocated to a sub-device of the function (PASIDs
 * come from one allocator, Linux `iommu_alloc_global_pasid`: an ADI's PASID is never handed to
 * another binding of its parent's RID).
 */
export const bindPasid = (ctx: StepContext, state: State, rid: Rid, pasid: number, vm: VmId): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  const domain = domainOfVm(state.iommu, vm)
  if (fn === undefined || domain === undefined) return unchanged(state, rejected(`unknown ${rid} or ${vm}`))
  if (!state.pasids.includes(pasid)) return unchanged(state, rejected(`PASID ${pasid} is not in the topology`))
  if (governingCaps(state, rid) === undefined) return unchanged(state, rejected(`${rid} does not support PASID`))
  if (fn.kind === "vf" && fn.owner !== vm) return unchanged(state, rejected(`${rid} is not assigned to ${vm}`))
  if (fn.kind === "vf" && ctx.policy.vfPasidCap === "hidden")
    return unchanged(state, rejected(`${rid} shows no PASID capability to ${vm}`))
  if (fn.kind === "pf" && fn.owner !== "host") return unchanged(state, rejected(`${rid} is assigned`))
  if (pasidEntry(state.iommu.pasids, rid, pasid) !== undefined)
    return unchanged(state, rejected(`PASID ${pasid} of ${rid} is bound`))
  const sub = state.subdevices.find((d) => d.parent === rid && d.pasid === pasid)
  if (sub !== undefined) return unchanged(state, rejected(`PASID ${pasid} of ${rid} is allocated to ${sub.id}`))
  if (pasidBusy(state, rid, pasid)) return unchanged(state, rejected(`PASID ${pasid} of ${rid} is being torn down`))
  const flags =
    fn.kind === "vf"
      ? entryFlags(
          ctx.policy,
          state.host.vcaps.find((v) => v.rid === rid),
        )
      : ALLOW_ALL
  const tagged = domainTag(state.iommu, vm)
  if (tagged === undefined) return unchanged(state, rejected(`unknown ${vm}`))
  const entry = { rid, pasid, did: tagged.did, ...flags }
  return {
    state: { ...state, iommu: { ...tagged.iommu, pasids: setPasidEntry(tagged.iommu.pasids, entry) } },
    outcome: ok,
    events: [...tagged.events, { _tag: "PasidEntrySet", rid, pasid, did: tagged.did }],
  }
}
