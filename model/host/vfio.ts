/**
 * The host's VFIO/VMM actions that complete in one step: backing a VM with pages, assigning a VF
 * to a VM (Linux `drivers/vfio/pci`: the VF's RID is attached to the VM's `vfio_iommu_type1`
 * domain, so its context entry points at the VM's DID; in VFIO no-IOMMU mode nothing translates,
 * modelled as a pass-through context entry), assigning an ADI or mdev (a PASID entry for a
 * PASID-tagged one; an untagged mdev shares its parent's context entry, seed thread 003) and
 * `VFIO_IOMMU_MAP_DMA` of one page. The unmap, which real systems run as several steps, is in
 * `unmap.ts`.
 *
 * @module
 */
import type { Event } from "../event.ts"
import { formatIova, type HpaPage, type Iova, PAGE_SIZE, type Rid, type VmId } from "../ids.ts"
import { type ContextEntry, setContext } from "../iommu/context.ts"
import { domainTag } from "../iommu/domain-tag.ts"
import { ALLOW_ALL, setPasidEntry } from "../iommu/pasid-table.ts"
import { setPte, walk } from "../iommu/domain.ts"
import { domainOfVm, putDomain } from "../iommu/iommu.ts"
import { pageOwner, setPageOwner } from "../memory/pages.ts"
import { ok, rejected } from "../outcome.ts"
import { atsReset } from "../pcie/ats.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import { CAPS_RESET, governingCaps } from "../pcie/pasid-pri.ts"
import { requesterOf } from "../pcie/requester.ts"
import { putSubdevice, subdeviceById } from "../pcie/subdevice.ts"
import { allocateVrid } from "../nesting/viommu.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { iovaBusy } from "./unmap.ts"

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
 * Attaches host-owned function `rid` to `vm`: its context entry points at the VM's domain (the
 * nesting parent, with nesting, where the VMM also gives it a vRID in the VM's virtual IOMMU; in
 * VFIO no-IOMMU mode a pass-through entry), and with an emulated PASID/PRI capability vfio creates
 * it (the features its PF has enabled now are shown supported, every control bit clear). The
 * function is reset on open (VFIO issues an FLR, PCIe Base 6.0 §6.6.2, which empties its ATC).
 * The caller has checked that the function is a host-owned VF and the VM exists.
 */
export const attachFunction = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  vm: VmId,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const index = functionIndex(state.functions, rid)
  const noiommu = ctx.policy.vfioIommu === "noiommu"
  const tagged = noiommu ? undefined : domainTag(state.iommu, vm)
  if (index < 0 || (!noiommu && tagged === undefined)) return { state, events: [] }
  const iommu = tagged?.iommu ?? state.iommu
  const ats = state.functions[index]?.ats.enabled ?? false
  const entry: ContextEntry =
    tagged === undefined ? { rid, kind: "pass-through" } : { rid, kind: "translated", did: tagged.did, ats }
  const pfCaps = governingCaps(state, rid)
  const emulated =
    ctx.policy.vfPasidCap === "emulated-unenforced" || ctx.policy.vfPasidCap === "emulated-iommu-enforced"
  const host =
    emulated && pfCaps !== undefined
      ? {
          ...state.host,
          vcaps: [...state.host.vcaps.filter((v) => v.rid !== rid), { rid, supported: pfCaps, bits: CAPS_RESET }].sort(
            (a, b) => (a.rid < b.rid ? -1 : 1),
          ),
        }
      : state.host
  const virtual = state.nesting === undefined ? undefined : allocateVrid(state.nesting, vm, rid)
  return {
    state: {
      ...state,
      functions: updateFunction(state.functions, index, (f) => ({ ...f, owner: vm, ats: atsReset(f.ats.enabled) })),
      iommu: { ...iommu, context: setContext(iommu.context, entry) },
      host,
      ...(virtual === undefined ? {} : { nesting: virtual.nesting }),
    },
    events: [
      ...(tagged?.events ?? []),
      { _tag: "FunctionAssigned", rid, vm, did: entry.kind === "translated" ? entry.did : 0 },
      ...(virtual === undefined ? [] : [{ _tag: "VridAssigned" as const, vm, vrid: virtual.vrid, rid }]),
    ],
  }
}

/**
 * `HostAssignFunction { rid, vm }`: VFIO assigns a host-owned VF to the VM ({@link attachFunction}).
 * Rejected for a PF, an unknown RID or VM, or a VF already assigned.
 */
export const assignFunction = (ctx: StepContext, state: State, rid: Rid, vm: VmId): StepResult => {
  if (domainOfVm(state.iommu, vm) === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const fn = state.functions[functionIndex(state.functions, rid)]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (fn.kind !== "vf") return unchanged(state, rejected(`${rid} is a PF; only VFs are assigned`))
  if (fn.owner !== "host") return unchanged(state, rejected(`${rid} is already assigned to ${fn.owner}`))
  const attached = attachFunction(ctx, state, rid, vm)
  return { state: attached.state, outcome: ok, events: attached.events }
}

/**
 * `HostAssignSubdevice { sub, vm }`: assigns a host-owned ADI or mdev to a VM. A sub-device that
 * tags its requests (every ADI; an mdev under `mdevMediation: "pasid-domains"`) gets a PASID entry
 * (parent RID, PASID) -> the VM's domain; an untagged mdev has no IOMMU state of its own. Rejected
 * for an unknown sub-device or VM, or one already assigned.
 */
export const assignSubdevice = (ctx: StepContext, state: State, sub: string, vm: VmId): StepResult => {
  if (domainOfVm(state.iommu, vm) === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const d = subdeviceById(state.subdevices, sub)
  if (d === undefined) return unchanged(state, rejected(`unknown sub-device ${sub}`))
  if (d.owner !== "host") return unchanged(state, rejected(`${sub} is already assigned to ${d.owner}`))
  const assigned: State = { ...state, subdevices: putSubdevice(state.subdevices, { ...d, owner: vm }) }
  if (requesterOf(state, ctx.policy, sub)?.pasid === undefined)
    return { state: assigned, outcome: ok, events: [{ _tag: "SubdeviceAssigned", sub, vm }] }
  const tagged = domainTag(state.iommu, vm)
  if (tagged === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const pasids = setPasidEntry(tagged.iommu.pasids, { rid: d.parent, pasid: d.pasid, did: tagged.did, ...ALLOW_ALL })
  return {
    state: { ...assigned, iommu: { ...tagged.iommu, pasids } },
    outcome: ok,
    events: [
      { _tag: "SubdeviceAssigned", sub, vm },
      ...tagged.events,
      { _tag: "PasidEntrySet", rid: d.parent, pasid: d.pasid, did: tagged.did },
    ],
  }
}

/**
 * `HostMapIova { vm, iova, page, pages? }`: writes the PTEs of a mapping of `pages` granules (default
 * one; two model a large page, `iommu/domain.ts`) from `iova` onto HPA pages `page`, `page + 1`, ….
 * Rejected when a page is not the VM's, is a confidential VM's private page (host-controlled
 * tables may map only shared pages, seed thread 004), an IOVA is outside the scenario's space or
 * already mapped, or an unmap of it is still in flight (the IOVA is not reusable until
 * `VFIO_IOMMU_UNMAP_DMA` has returned). A VMM maps guest RAM at IOVA = GPA; the model names a
 * page's GPA by its frame number (page p at p × 4 KiB) and holds confidential VMs to it, since
 * their DMA API hands the device GPAs.
 */
export const mapIova = (state: State, vm: VmId, iova: Iova, page: HpaPage, pages = 1): StepResult => {
  const domain = domainOfVm(state.iommu, vm)
  if (domain === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  let next = domain
  for (let k = 0; k < pages; k++) {
    const at = iova + k * PAGE_SIZE
    const pg = page + k
    if (!state.iovas.includes(at)) return unchanged(state, rejected(`${formatIova(at)} is outside the IOVA space`))
    const owner = pageOwner(state.memory, pg)
    if (owner !== vm) return unchanged(state, rejected(`page ${pg} is ${owner ?? "not present"}, not ${vm}'s`))
    if (state.privatePages[pg] === true)
      return unchanged(state, rejected(`page ${pg} is private to ${vm}: host tables may map only shared pages`))
    if (state.cvms.includes(vm) && at !== pg * PAGE_SIZE)
      return unchanged(
        state,
        rejected(
          `${vm} is confidential: the VMM maps its shared pages at their GPA (page ${pg} at ${formatIova(pg * PAGE_SIZE)})`,
        ),
      )
    if (walk(domain, at) !== undefined) return unchanged(state, rejected(`${formatIova(at)} is already mapped`))
    if (iovaBusy(state, vm, at)) return unchanged(state, rejected(`an unmap of ${formatIova(at)} is in flight`))
    next = setPte(next, { iova: at, page: pg, base: iova })
  }
  return {
    state: { ...state, iommu: putDomain(state.iommu, next) },
    outcome: ok,
    events: [{ _tag: "PteWritten", vm, iova, page, ...(pages === 1 ? {} : { pages }) }],
  }
}
