/**
 * The guest's side of nesting: writing its stage-1 tables (no trap) and programming its vIOMMU so
 * that a vRID's PASID walks one of its tables (trapped; the VMM has iommufd attach a nested domain
 * to the pRID, seed thread 001, `IOMMU_HWPT_ALLOC` with a nesting parent + attach).
 *
 * - `GuestStage1Map { vm, table, iova, gpa }`: writes a not-present PTE. Nothing is cached for a
 *   not-present entry, so no invalidation is needed (VT-d 4.x §6.1, AMD IOMMU §2.2.7, SMMUv3 §3.21).
 * - `GuestAttachStage1 { vm, vrid, pasid, table }`: the guest's PASID entry (VT-d), GCR3 entry
 *   (AMD-Vi) or CD (SMMUv3) for `vrid`/`pasid` now names `table`; the VMM translates the vRID to
 *   the device it holds and iommufd attaches. The hardware tag comes from the `Vendor` service.
 * - `GuestDetachStage1 { vm, vrid, pasid }`: the entry is cleared; the (pRID, PASID) falls back to
 *   the nesting parent (PASID 0) or is blocked (other PASIDs).
 *
 * Attach and detach change what (pRID, PASID) translates to, so iommufd flushes the IOTLB entries
 * of the tag and the device's ATC entries of that PASID before returning (Linux
 * `intel_pasid_tear_down_entry` and `arm_smmu_attach_dev` wait for the Device-TLB flush); the model
 * runs that synchronous flush inside the one step.
 *
 * The guest tells its vIOMMU about a changed entry through its invalidation queue (VT-d
 * PASID-cache invalidation descriptor §6.5.2.2, AMD INVALIDATE_DEVTAB_ENTRY §2.4.2, SMMUv3
 * CMD_CFGI_STE/CD §4.3), which the VMM processes in order: an attach or detach takes effect only
 * after every descriptor queued before it. So while the guest's queue holds descriptors, an attach
 * or detach waits.
 *
 * @module
 */
import { entryFlags } from "../host/vfio-pasid-cap.ts"
import { formatIova, type Iova, type Rid, type VmId } from "../ids.ts"
import { ALLOW_ALL } from "../iommu/pasid-table.ts"
import { procedureByPid } from "../host/host.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import {
  attachmentOf,
  addAttachment,
  type HardwareTag,
  type Nesting,
  nestedIotlbInvalidate,
  pridOf,
  putStage1Table,
  removeAttachments,
  stage1Table,
} from "./nesting.ts"
import { queuePid } from "./guest-invalidation.ts"
import { guestTagConflict } from "./vendor-nesting.ts"

/** Whether `vm`'s invalidation queue holds descriptors the VMM has not finished. */
const queueBusy = (state: State, vm: VmId): boolean => procedureByPid(state.host, queuePid(vm)) !== undefined

/** `GuestStage1Map { vm, table, iova, gpa }`. Rejected when the table is unknown or the PTE present. */
export const guestStage1Map = (state: State, vm: VmId, table: number, iova: Iova, gpa: Iova): StepResult => {
  const n = state.nesting
  const t = n === undefined ? undefined : stage1Table(n, vm, table)
  if (n === undefined || t === undefined) return unchanged(state, rejected(`${vm} has no stage-1 table ${table}`))
  if (t.ptes.some((p) => p.iova === iova))
    return unchanged(state, rejected(`${formatIova(iova)} is present in ${vm}'s table ${table}`))
  const ptes = [...t.ptes, { iova, gpa }].sort((a, b) => a.iova - b.iova)
  return {
    state: { ...state, nesting: putStage1Table(n, { ...t, ptes }) },
    outcome: ok,
    events: [{ _tag: "Stage1PteWritten", vm, table, iova, gpa }],
  }
}

/**
 * Flushes what the (pRID, PASID) of a nested attachment cached: the IOTLB entries of `tag` and the
 * function's ATC entries for `pasid` (PASID 0: requests without PASID).
 */
const flushAttachment = (
  state: State,
  n: Nesting,
  rid: Rid,
  pasid: number,
  tag: HardwareTag | undefined,
): { readonly state: State; readonly iotlbDropped: number; readonly atcDropped: number } => {
  const { nesting, dropped } =
    tag === undefined ? { nesting: n, dropped: [] } : nestedIotlbInvalidate(n, tag, undefined)
  const index = functionIndex(state.functions, rid)
  const atcPasid = pasid === 0 ? undefined : pasid
  const before = state.functions[index]?.ats.atc.length ?? 0
  const functions = updateFunction(state.functions, index, (f) => ({
    ...f,
    ats: { ...f.ats, atc: f.ats.atc.filter((e) => e.pasid !== atcPasid) },
  }))
  const after = functions[index]?.ats.atc.length ?? 0
  return { state: { ...state, nesting, functions }, iotlbDropped: dropped.length, atcDropped: before - after }
}

/** The pRID the VMM resolves `vm`'s `vrid` to for configuration: a function `vm` holds, else a reason. */
const heldDevice = (
  state: State,
  n: Nesting,
  vm: VmId,
  vrid: Rid,
): { readonly rid: Rid } | { readonly reason: string } => {
  const rid = pridOf(n, vm, vrid)
  if (rid === undefined) return { reason: `${vm} has no vRID ${vrid}` }
  const fn = state.functions.find((f) => f.rid === rid)
  return fn?.owner === vm ? { rid } : { reason: `${vm}'s vRID ${vrid} names ${rid}, which ${vm} does not hold` }
}

/**
 * `GuestAttachStage1 { vm, vrid, pasid, table }`. Rejected without nesting, for a vRID whose
 * device the VM does not hold, a (pRID, PASID) already attached (the guest detaches first), a
 * PASID outside the scenario's, or a guest tag that would name two tables.
 */
export const guestAttachStage1 = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  vrid: Rid,
  pasid: number,
  table: number,
): StepResult => {
  const n = state.nesting
  if (n === undefined || stage1Table(n, vm, table) === undefined)
    return unchanged(state, rejected(`${vm} has no stage-1 table ${table}`))
  if (pasid !== 0 && !state.pasids.includes(pasid)) return unchanged(state, rejected(`PASID ${pasid} is not in use`))
  if (queueBusy(state, vm)) return unchanged(state, waiting(`${vm}'s invalidation queue holds earlier descriptors`))
  const held = heldDevice(state, n, vm, vrid)
  if ("reason" in held) return unchanged(state, rejected(held.reason))
  const { rid } = held
  if (attachmentOf(n, rid, pasid) !== undefined)
    return unchanged(state, rejected(`${rid} PASID ${pasid} is already attached`))
  const semantics = ctx.vendor.nesting
  const vtag = semantics.guestTag(n, vm, vrid, table)
  if (guestTagConflict(n, vm, vtag, pasid, table))
    return unchanged(state, rejected(`${vm}'s ${semantics.guestTagName} ${vtag} already names another table`))
  const flags =
    pasid === 0
      ? ALLOW_ALL
      : entryFlags(
          ctx.policy,
          state.host.vcaps.find((v) => v.rid === rid),
        )
  const base = { rid, pasid, vm, vrid, table, vtag, ...flags }
  const { tag, nesting } = semantics.hardwareTag({ policy: ctx.policy, nesting: n, domains: state.iommu.domains }, base)
  const attached = addAttachment(nesting, { ...base, ...tag })
  const flushed = flushAttachment(state, attached, rid, pasid, undefined)
  return {
    state: flushed.state,
    outcome: ok,
    events: [{ _tag: "NestedAttached", ...base, ...tag }],
  }
}

/** `GuestDetachStage1 { vm, vrid, pasid }`. Rejected when nothing is attached there. */
export const guestDetachStage1 = (state: State, vm: VmId, vrid: Rid, pasid: number): StepResult => {
  const n = state.nesting
  if (n === undefined) return unchanged(state, rejected("no nesting"))
  if (queueBusy(state, vm)) return unchanged(state, waiting(`${vm}'s invalidation queue holds earlier descriptors`))
  const held = heldDevice(state, n, vm, vrid)
  if ("reason" in held) return unchanged(state, rejected(held.reason))
  const { rid } = held
  const a = attachmentOf(n, rid, pasid)
  if (a === undefined) return unchanged(state, rejected(`${rid} PASID ${pasid} is not attached`))
  const detached = removeAttachments(n, (x) => x.rid === rid && x.pasid === pasid)
  const flushed = flushAttachment(state, detached, rid, pasid, a)
  return {
    state: flushed.state,
    outcome: ok,
    events: [
      { _tag: "NestedDetached", vm, rid, pasid, iotlbDropped: flushed.iotlbDropped, atcDropped: flushed.atcDropped },
    ],
  }
}

/** Detaches every nested attachment of `rid`, flushing as detach does (used when the function leaves its VM). */
export const detachAll = (state: State, rid: Rid): State => {
  const n = state.nesting
  if (n === undefined) return state
  let s = state
  for (const a of n.attachments.filter((x) => x.rid === rid)) {
    const cur = s.nesting ?? n
    s = flushAttachment(
      s,
      removeAttachments(cur, (x) => x.rid === rid && x.pasid === a.pasid),
      rid,
      a.pasid,
      a,
    ).state
  }
  return s
}
