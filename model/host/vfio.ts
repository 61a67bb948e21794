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
import { contextEntry, setContext } from "../iommu/context.ts"
import { domainTag } from "../iommu/domain-tag.ts"
import { invalidateContextCache } from "../iommu/entry-cache.ts"
import { ALLOW_ALL, setPasidEntry } from "../iommu/pasid-table.ts"
import { setPte, walk } from "../iommu/domain.ts"
import { domainOfVm, putDomain } from "../iommu/iommu.ts"
import { installUnityMaps, reservedRegionRefusal } from "../iommu/reserved-regions.ts"
import { pageOwner, setPageOwner } from "../memory/pages.ts"
import { ok, rejected } from "../outcome.ts"
import { functionLevelReset } from "../pcie/flr.ts"
import { functionIndex, functionRids, type PcieFunction, updateFunction } from "../pcie/function.ts"
import { iommuGroup, inHostUse } from "../pcie/iommu-group.ts"
import { CAPS_RESET, governingCaps } from "../pcie/pasid-pri.ts"
import { requesterOf } from "../pcie/requester.ts"
import { putSubdevice, subdeviceById } from "../pcie/subdevice.ts"
import { allocateVrid } from "../nesting/viommu.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { cacheInvalidatedEvent } from "./entry-invalidation.ts"
import { iovaBusy } from "./unmap.ts"
import { byRid, putByKey } from "../keyed.ts"

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
 * Whether the IOMMU driver lets `fn` use ATS: it has ATS enabled, and is not a function the host
 * marks untrusted under `untrustedAts: "disabled"` (Linux `pci_ats_supported()`).
 */
const atsAllowed = (ctx: StepContext, fn: PcieFunction): boolean =>
  fn.ats.enabled && !(fn.untrusted === true && ctx.policy.untrustedAts === "disabled")

/**
 * Whether the context entry of an attachment of `fn` accepts ATS traffic: ATS allowed
 * ({@link atsAllowed}) and no fence outlives the attachment (`atsFenced`: a function with no reset
 * method whose ATS invalidation timed out keeps whatever its ATC held, so the host never trusts
 * its ATS again).
 */
const contextAts = (ctx: StepContext, fn: PcieFunction): boolean => atsAllowed(ctx, fn) && fn.atsFenced !== true

/**
 * Whether vfio can take `fn` for a VM at all: a VF, or a PF nothing of the host depends on (no
 * VFs, sub-devices or PASID/PRI capability, which the model gives to the host's PF driver).
 */
export const assignable = (state: State, fn: PcieFunction): boolean =>
  fn.kind === "vf" || !inHostUse(state, { ...fn, owner: "host" })

/**
 * The functions an assignment of `rid` to `vm` attaches: `rid`'s, and under `iommuGroups:
 * "group-aware"` every other host-owned member of its IOMMU group (vfio attaches a group to one
 * domain, vfio.rst; iommufd attaches a group's devices together).
 */
const attachedWith = (ctx: StepContext, state: State, rid: Rid): ReadonlyArray<PcieFunction> =>
  ctx.policy.iommuGroups === "per-function"
    ? state.functions.filter((f) => f.rid === rid)
    : iommuGroup(state, rid).filter((f) => f.rid === rid || (f.owner === "host" && f.link !== "removed"))

/**
 * Why vfio cannot give `rid` to `vm` now (one line), or `undefined`: under `iommuGroups:
 * "group-aware"`, another member of its IOMMU group is another owner's, is used by the host, or is
 * being released or reset (`leaving`: members a reassignment releases with it, which will be the
 * host's by its attach); a function it would attach has a reserved memory region the policy
 * refuses or that conflicts with the VM's mappings (`iommu/reserved-regions.ts`); `rid` itself has
 * been surprise-removed (pciehp's `pci_stop_and_remove_bus_device` unregisters the vfio device, so
 * there is nothing left to open: `enabled` offers no such assignment, this keeps replayed and
 * shrunk traces to the same rule).
 */
export const assignRefusal = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  vm: VmId,
  leaving: ReadonlyArray<Rid> = [],
): string | undefined => {
  if (state.functions.find((f) => f.rid === rid)?.link === "removed") return `${rid} has been removed`
  if (ctx.policy.iommuGroups === "group-aware")
    for (const m of iommuGroup(state, rid)) {
      if (m.rid === rid || m.owner === vm || leaving.includes(m.rid)) continue
      if (m.owner !== "host")
        return `${m.rid} is in ${rid}'s IOMMU group and is ${m.owner}'s: vfio gives a group to one owner`
      if (inHostUse(state, m))
        return `${m.rid} is in ${rid}'s IOMMU group and the host uses it: the group is not viable`
      if (
        state.host.procedures.some(
          (p) => (p._tag === "Release" && p.members.includes(m.rid)) || (p._tag === "Reset" && p.rid === m.rid),
        )
      )
        return `${m.rid} is in ${rid}'s IOMMU group and vfio is releasing or resetting it`
    }
  for (const f of attachedWith(ctx, state, rid)) {
    const refused = reservedRegionRefusal(ctx.policy, state.iommu, f, vm)
    if (refused !== undefined) return refused
  }
  return undefined
}

/**
 * Attaches host-owned function `rid` to `vm`: its context entry points at the VM's domain (the
 * nesting parent, with nesting, where the VMM also gives it a vRID in the VM's virtual IOMMU; in
 * VFIO no-IOMMU mode a pass-through entry), for its own RID and for the RID its requests carry
 * (Linux blocks the device first, clearing the entry of every DMA alias, then maps every alias,
 * `pci_for_each_dma_alias`: an alias shared with another device takes the domain attached last);
 * with an emulated PASID/PRI capability vfio creates it (the features its PF has enabled now are
 * shown supported, every control bit clear). The function is reset on open: `vfio_pci_core_enable`
 * calls `pci_try_reset_function` (an FLR, PCIe Base 6.0 §6.6.2, where the function has it), which
 * the model runs as `functionLevelReset` with its `FunctionReset` event: the ATC and unanswered ATS
 * invalidations emptied, page request groups forgotten, MSI-X masked, a locked or running TDI to
 * ERROR; a function with no reset method (topology `flr: false`) keeps all of it
 * (`FunctionNotReset`). The IOMMU driver enables ATS when the function has it, unless the host marks it untrusted
 * and `untrustedAts` is `"disabled"` (Linux `pci_ats_supported()`): then neither the function's ATS
 * Enable nor its context entry accepts ATS; the context entry of a function with no reset method
 * fenced by an ATS invalidation timeout (`atsFenced`) accepts none either. Under `rmrrOnAssign:
 * "keep-unity-map"` its unity maps
 * enter the VM's domain. A present entry it replaces (the host's identity domain of a function
 * released to it) has its cached copy invalidated first, as Linux's detach from the old domain
 * does. The caller has checked that the function is host-owned and assignable, the VM exists and
 * {@link assignRefusal}.
 */
const attachOne = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  vm: VmId,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  const noiommu = ctx.policy.vfioIommu === "noiommu"
  const tagged = noiommu ? undefined : domainTag(state.iommu, vm)
  if (fn === undefined || (!noiommu && tagged === undefined)) return { state, events: [] }
  const unity = installUnityMaps(ctx.policy, tagged?.iommu ?? state.iommu, fn, vm)
  const iommu = unity.iommu
  const ats = atsAllowed(ctx, fn)
  const entryAts = contextAts(ctx, fn)
  // The entries of the function's RID and of every DMA alias, and the present entries they replace
  // (the host's identity domain of a function released to it, an alias another device's attachment
  // wrote): Linux first blocks the device (`device_block_translation` → `domain_context_clear`,
  // every alias through `pci_for_each_dma_alias`, each with its device-selective context-cache
  // invalidation), then maps every alias to the new domain.
  const written = functionRids(fn)
  const replaced = written.flatMap((r) => {
    const old = contextEntry(iommu.context, r)
    return old === undefined ? [] : [old]
  })
  const context = written.reduce(
    (table, r) =>
      setContext(
        table,
        tagged === undefined
          ? { rid: r, kind: "pass-through" }
          : { rid: r, kind: "translated", did: tagged.did, ats: entryAts },
      ),
    iommu.context,
  )
  let cache = iommu.cache
  const flushed: Array<Event> = []
  for (const old of replaced) {
    const tag = { did: old.kind === "translated" ? old.did : undefined }
    const r = invalidateContextCache(cache, old.rid, tag)
    cache = r.cache
    flushed.push(cacheInvalidatedEvent(ctx, "invalidate-context-cache", old.rid, undefined, tag, r.dropped))
  }
  const pfCaps = governingCaps(state, rid)
  const emulated =
    ctx.policy.vfPasidCap === "emulated-unenforced" || ctx.policy.vfPasidCap === "emulated-iommu-enforced"
  const host =
    emulated && pfCaps !== undefined
      ? {
          ...state.host,
          vcaps: putByKey(state.host.vcaps, { rid, supported: pfCaps, bits: CAPS_RESET }, byRid),
        }
      : state.host
  const virtual = state.nesting === undefined ? undefined : allocateVrid(state.nesting, vm, rid)
  const reset = functionLevelReset(state, rid)
  return {
    state: {
      ...state,
      functions: updateFunction(reset.state.functions, index, (f) => ({
        ...f,
        owner: vm,
        ats: { ...f.ats, enabled: ats },
      })),
      iommu: { ...iommu, context, cache },
      host,
      ...(virtual === undefined ? {} : { nesting: virtual.nesting }),
    },
    events: [
      ...(tagged?.events ?? []),
      ...unity.events,
      ...flushed,
      ...reset.events,
      { _tag: "FunctionAssigned", rid, vm, did: tagged?.did ?? 0 },
      ...(virtual === undefined ? [] : [{ _tag: "VridAssigned" as const, vm, vrid: virtual.vrid, rid }]),
    ],
  }
}

/**
 * Attaches `rid` to `vm`, with the other host-owned members of its IOMMU group under
 * `iommuGroups: "group-aware"` ({@link attachOne} each, in RID order). The caller has checked
 * {@link assignRefusal}.
 */
export const attachFunction = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  vm: VmId,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  let s = state
  const events: Array<Event> = []
  for (const f of attachedWith(ctx, state, rid)) {
    const a = attachOne(ctx, s, f.rid, vm)
    s = a.state
    events.push(...a.events)
  }
  return { state: s, events }
}

/**
 * `HostAssignFunction { rid, vm }`: VFIO assigns a host-owned VF, or a PF nothing of the host
 * depends on, to the VM ({@link attachFunction}). Rejected for an unknown RID or VM, a PF the host
 * needs, a function already assigned, or what {@link assignRefusal} refuses.
 */
export const assignFunction = (ctx: StepContext, state: State, rid: Rid, vm: VmId): StepResult => {
  if (domainOfVm(state.iommu, vm) === undefined) return unchanged(state, rejected(`unknown VM ${vm}`))
  const fn = state.functions[functionIndex(state.functions, rid)]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (fn.owner !== "host") return unchanged(state, rejected(`${rid} is already assigned to ${fn.owner}`))
  if (!assignable(state, fn))
    return unchanged(state, rejected(`${rid} is a PF the host's driver needs (VFs, sub-devices or PASID/PRI)`))
  const refused = assignRefusal(ctx, state, rid, vm)
  if (refused !== undefined) return unchanged(state, rejected(refused))
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
  const parent = state.functions.find((f) => f.rid === d.parent)
  const context =
    parent === undefined || contextEntry(tagged.iommu.context, d.parent) !== undefined
      ? tagged.iommu.context
      : setContext(tagged.iommu.context, { rid: d.parent, kind: "pasid-only", ats: contextAts(ctx, parent) })
  return {
    state: { ...assigned, iommu: { ...tagged.iommu, pasids, context } },
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
