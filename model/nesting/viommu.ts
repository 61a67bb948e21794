/**
 * iommufd's virtual IOMMU of a VM and its vRID -> pRID table (seed thread 001: "The vRID->pRID
 * table should be some mostly common IOMMUFD_DEV_ASSIGN_VIRTUAL_ID"; Linux `IOMMU_VDEVICE_ALLOC`,
 * `drivers/iommu/iommufd/viommu.c`), and what happens to it when a VF moves between VMs.
 *
 * - When a VF is assigned to a VM with nesting, the VMM gives it the next free vRID on the guest's
 *   bus (`00:01.0`, `00:02.0`, …) and registers vRID -> pRID.
 * - `HostReassignFunction { rid, vm }`: the VF leaves its VM for `vm`: its nested attachments are
 *   detached (with their flush), VFIO resets it (FLR, PCIe Base 6.0 §6.6.2, which empties the
 *   ATC and drops pending ATS Invalidate Requests), its context entry moves to `vm`'s nesting
 *   parent and it gets a vRID in `vm`. The old VM's vRID entry is removed
 *   (`vRidOnReassign: "remove"`, as iommufd destroys a vDEVICE with its device) or kept.
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import { setContext } from "../iommu/context.ts"
import { domainOfVm } from "../iommu/iommu.ts"
import { ok, rejected } from "../outcome.ts"
import { atsReset } from "../pcie/ats.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { type Nesting, putVrids, viommuOf, vridOf } from "./nesting.ts"
import { detachAll } from "./stage1.ts"

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

/**
 * `HostReassignFunction { rid, vm }`. Rejected unless `rid` is a VF assigned to a VM other than
 * `vm`, in a scenario with nesting.
 */
export const reassignFunction = (ctx: StepContext, state: State, rid: Rid, vm: VmId): StepResult => {
  const domain = domainOfVm(state.iommu, vm)
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (state.nesting === undefined || domain === undefined || fn === undefined)
    return unchanged(state, rejected(`cannot reassign ${rid} to ${vm}`))
  const from = fn.owner
  if (fn.kind !== "vf" || from === "host" || from === vm)
    return unchanged(state, rejected(`${rid} is not a VF assigned to another VM than ${vm}`))
  const detached = detachAll(state, rid)
  const n0 = detached.nesting ?? state.nesting
  const old = vridOf(n0, from, rid)
  const keep = ctx.policy.vRidOnReassign === "keep"
  const n1 = keep
    ? n0
    : putVrids(
        n0,
        from,
        (viommuOf(n0, from)?.vrids ?? []).filter((e) => e.rid !== rid),
      )
  const { nesting, vrid } = allocateVrid(n1, vm, rid)
  return {
    state: {
      ...detached,
      nesting,
      functions: updateFunction(detached.functions, index, (f) => ({ ...f, owner: vm, ats: atsReset(f.ats.enabled) })),
      iommu: {
        ...detached.iommu,
        context: setContext(detached.iommu.context, { rid, kind: "translated", did: domain.did }),
      },
    },
    outcome: ok,
    events: [
      { _tag: "FunctionReassigned", rid, from, to: vm, staleVrid: keep ? old : undefined },
      { _tag: "VridAssigned", vm, vrid, rid },
    ],
  }
}
