/**
 * `enabled(state)`: the commands that make sense in a state, in a deterministic order (sorted IDs,
 * STYLE.md §9). The random driver picks among them; the exhaustive explorer expands all of them.
 * Every command outside this list is still accepted by `step` (one that does not apply is rejected,
 * the state unchanged), so removing a command from a trace always leaves a valid trace. `enabled` reads no policy: a guest write the
 * VMM will trap is enabled, and `step` decides what it does.
 *
 * What "makes sense": host actions whose precondition holds (a mapping of two granules, the model's
 * large page, where two consecutive IOVAs of the scenario and two consecutive pages of the VM allow
 * it; an unmap where a mapping begins); every request an assigned interface
 * can put on the link (including ones the IOMMU will fault or block: a device may DMA anywhere and
 * a guest may program its device's DMA engine and interrupt entries with any value); translated
 * requests only through an ATC entry the device holds; advancing any procedure in flight.
 *
 * One reduction: a guest's Bus Master Enable writes are offered for mdevs only, where mediation
 * decides whether they reach the parent (seed thread 003). For a VF (passed through) or an ADI
 * (emulated) clearing BME only silences the interface, which a trace that does not use it
 * already covers, so leaving those writes out loses no behaviour.
 *
 * @module
 */
import type { Command } from "./command.ts"
import { type FunctionOwner, PAGE_SIZE } from "./ids.ts"
import { walk } from "./iommu/domain.ts"
import type { Message } from "./interrupt/message.ts"
import type { CapField } from "./pcie/pasid-pri.ts"
import { freePages } from "./memory/pages.ts"
import { FLUSH_QUEUE_PID } from "./host/flush-queue.ts"
import { procedureByPid } from "./host/host.ts"
import { pasidBusy, teardownPid } from "./host/pasid-teardown.ts"
import { releaseInFlight } from "./host/release.ts"
import { resetPid } from "./host/reset.ts"
import { type PcieFunction, POSTED_DEPTH } from "./pcie/function.ts"
import { unisolated } from "./pcie/iommu-group.ts"
import { assignable } from "./host/vfio.ts"
import { iovaBusy, unmapPid } from "./host/unmap.ts"
import { queuePid, stage1UnmapInFlight } from "./nesting/guest-invalidation.ts"
import { attachmentOf } from "./nesting/nesting.ts"
import type { State } from "./state.ts"

/** Every message a guest may write: any IRTE handle, any compatibility destination and vector. */
const candidateMessages = (state: State): ReadonlyArray<Message> => {
  const dests: Array<FunctionOwner> = ["host", ...state.iommu.domains.map((d) => d.vm)]
  const out: Array<Message> = state.iommu.interrupts.irt.map((_, handle) => ({ _tag: "Remappable", handle }))
  for (const dest of dests)
    for (let vector = 0; vector < state.vectors; vector++) out.push({ _tag: "Compatibility", dest, vector })
  return out
}

const CAP_FIELDS: ReadonlyArray<CapField> = ["pasidEnable", "exec", "priv", "priEnable"]

/**
 * PASID/PRI commands (seed thread 002): for a function that supports PASID (a PF with the
 * capabilities, or one of its VFs) and is assigned, or is a host-owned PF sharing its PASIDs.
 */
const pasidCommands = (state: State, out: Array<Command>): void => {
  const vms = state.iommu.domains.map((d) => d.vm)
  for (const fn of state.functions) {
    if (fn.caps !== undefined)
      for (const field of CAP_FIELDS)
        for (const value of [false, true]) out.push({ _tag: "HostWritePfCap", rid: fn.rid, field, value })
  }
  for (const fn of state.functions) {
    const pf = fn.kind === "pf" ? fn : state.functions.find((f) => f.rid === fn.pf)
    if (pf?.caps === undefined || state.pasids.length === 0) continue
    const vf = fn.kind === "vf"
    if (vf && fn.owner === "host") continue
    if (vf && fn.owner !== "host") {
      const vm = fn.owner
      for (const field of CAP_FIELDS)
        for (const value of [false, true]) out.push({ _tag: "GuestWriteVfCap", vm, rid: fn.rid, field, value })
      out.push({ _tag: "GuestReadVfCap", vm, rid: fn.rid })
    }
    if (!vf && fn.owner !== "host") continue
    for (const pasid of state.pasids) {
      // A sub-device's PASID is its own (its assignment and release), never a binding of the function.
      const subdevices = state.subdevices.some((d) => d.parent === fn.rid && d.pasid === pasid)
      const bound = !subdevices && state.iommu.pasids.some((e) => e.rid === fn.rid && e.pasid === pasid)
      const tearing = procedureByPid(state.host, teardownPid(fn.rid, pasid)) !== undefined
      if (bound && !tearing) out.push({ _tag: "HostUnbindPasid", rid: fn.rid, pasid })
      if (!bound && !subdevices && !pasidBusy(state, fn.rid, pasid))
        for (const vm of vf ? [fn.owner] : vms) out.push({ _tag: "HostBindPasid", rid: fn.rid, pasid, vm })
      for (const iova of state.iovas) {
        if (fn.ats.enabled && bound) out.push({ _tag: "DeviceTranslationRequest", rid: fn.rid, iova, pasid })
        for (const access of ["read", "write", "execute"] as const)
          for (const privileged of [false, true])
            out.push({ _tag: "DevicePasidRequest", rid: fn.rid, pasid, iova, access, privileged })
        for (let prgi = 0; prgi < state.prgis; prgi++)
          if (!fn.groups.some((g) => g.pasid === pasid && g.prgi === prgi))
            out.push({ _tag: "DevicePageRequest", rid: fn.rid, pasid, iova, prgi })
      }
    }
  }
  if (state.iommu.prq.length > 0) out.push({ _tag: "HostRoutePageRequest" })
  for (const g of state.guests)
    for (const f of g.faults)
      out.push({ _tag: "GuestPageResponse", vm: g.vm, rid: f.rid, pasid: f.pasid, prgi: f.prgi })
}

/** TDISP commands (seed thread 004): a confidential VM's pages, TDIs, DMA API and trust flips. */
const tdispCommands = (state: State, out: Array<Command>): void => {
  for (const vm of state.cvms)
    state.memory.forEach((owner, page) => {
      if (owner === vm)
        out.push({ _tag: "GuestConvertPage", vm, page, to: state.privatePages[page] ? "shared" : "private" })
    })
  for (const fn of state.functions) {
    if (fn.tdi === undefined || fn.owner === "host" || !state.cvms.includes(fn.owner)) continue
    const vm = fn.owner
    for (const request of ["LOCK_INTERFACE", "START_INTERFACE", "STOP_INTERFACE"] as const)
      out.push({ _tag: "GuestTsmRequest", vm, rid: fn.rid, request })
    for (const field of ["bme", "ats"] as const)
      for (const value of [false, true]) out.push({ _tag: "HostWriteTdiConfig", rid: fn.rid, field, value })
    state.memory.forEach((owner, page) => {
      if (owner === vm) out.push({ _tag: "GuestDmaMap", vm, rid: fn.rid, page })
    })
    const handles = state.guests.find((g) => g.vm === vm)?.dma.find((d) => d.rid === fn.rid)?.handles ?? []
    for (const h of handles) {
      out.push({ _tag: "GuestDmaUnmap", vm, rid: fn.rid, handle: h.id })
      for (const access of ["read", "write"] as const)
        out.push({ _tag: "DeviceDmaHandle", rid: fn.rid, handle: h.id, access })
    }
    out.push({ _tag: "GuestTrustFlip", vm, rid: fn.rid })
  }
}

/**
 * Nesting commands (seed thread 001): the guest's stage-1 edits (an IOVA whose unmap is in flight
 * is not reused until its invalidations are done, as a guest's IOVA allocator frees it only after
 * the IOTLB sync, and as the host's own map/unmap above), vIOMMU attachments of the devices it
 * holds, invalidations with any virtual key (a guest may name any vRID: its own, or any RID that
 * exists), and PASID-tagged requests of assigned functions.
 */
const nestingCommands = (state: State, out: Array<Command>): void => {
  const n = state.nesting
  if (n === undefined) return
  const nestedPasids = [0, ...state.pasids]
  for (const t of n.tables)
    for (const iova of state.iovas) {
      if (stage1UnmapInFlight(state, t.vm, t.table, iova)) continue
      if (t.ptes.some((p) => p.iova === iova)) out.push({ _tag: "GuestStage1Unmap", vm: t.vm, table: t.table, iova })
      else for (const gpa of state.iovas) out.push({ _tag: "GuestStage1Map", vm: t.vm, table: t.table, iova, gpa })
    }
  const vfs = state.functions.filter((f) => f.kind === "vf").map((f) => f.rid)
  for (const v of n.viommus) {
    const vm = v.vm
    const tables = n.tables.filter((t) => t.vm === vm).map((t) => t.table)
    const queued = procedureByPid(state.host, queuePid(vm)) !== undefined
    for (const e of queued ? [] : v.vrids) {
      if (state.functions.find((f) => f.rid === e.rid)?.owner !== vm) continue
      for (const pasid of nestedPasids)
        if (attachmentOf(n, e.rid, pasid) !== undefined)
          out.push({ _tag: "GuestDetachStage1", vm, vrid: e.vrid, pasid })
        else for (const table of tables) out.push({ _tag: "GuestAttachStage1", vm, vrid: e.vrid, pasid, table })
    }
    if (queued) continue
    const named = [...new Set([...v.vrids.map((e) => e.vrid), ...vfs])].sort()
    for (const pasid of nestedPasids)
      for (const iova of state.iovas) {
        for (const vtag of tables) out.push({ _tag: "GuestInvalidateIotlb", vm, vtag, pasid, iova })
        for (const vrid of named) out.push({ _tag: "GuestInvalidateAtc", vm, vrid, pasid, iova })
      }
  }
  for (const fn of state.functions) {
    if (fn.kind !== "vf" || fn.owner === "host" || fn.link === "removed") continue
    for (const pasid of state.pasids)
      for (const iova of state.iovas) {
        if (fn.ats.enabled) out.push({ _tag: "DeviceTranslationRequest", rid: fn.rid, iova, pasid })
        out.push(
          { _tag: "DeviceDmaRead", rid: fn.rid, iova, pasid },
          { _tag: "DeviceDmaWrite", rid: fn.rid, iova, pasid },
        )
      }
  }
}

/**
 * ATS traffic of a sub-device a VM holds (issue "adversarial devices": SIOV with ATS): Translation
 * Requests tagged with its PASID while its parent has ATS enabled, and translated
 * requests through the parent's ATC entries of that PASID. An mdev tags a PASID only under one
 * mediation policy, which `enabled` does not read: `step` rejects the untagged one's.
 */
const subdeviceAtsCommands = (state: State, sub: string, out: Array<Command>): void => {
  const d = state.subdevices.find((x) => x.id === sub)
  const parent = d === undefined ? undefined : state.functions.find((f) => f.rid === d.parent)
  if (d === undefined || parent === undefined) return
  if (parent.ats.enabled) for (const iova of state.iovas) out.push({ _tag: "SubdeviceTranslationRequest", sub, iova })
  for (const e of parent.ats.atc)
    if (e.pasid === d.pasid)
      out.push(
        { _tag: "SubdeviceTranslatedRead", sub, iova: e.iova },
        { _tag: "SubdeviceTranslatedWrite", sub, iova: e.iova },
      )
}

/**
 * What only a malicious function sends (issue "adversarial devices"): translated requests for any
 * HPA page, and requests and page requests with every PASID of the scenario or of its sub-devices,
 * whatever its capability bits say (those a nested VF already gets are not repeated).
 */
const maliciousCommands = (state: State, fn: PcieFunction, out: Array<Command>): void => {
  for (let page = 0; page < state.memory.length; page++)
    for (const access of ["read", "write"] as const)
      out.push({ _tag: "DeviceForgeTranslated", rid: fn.rid, page, access })
  const pasids = [
    ...new Set([...state.pasids, ...state.subdevices.filter((d) => d.parent === fn.rid).map((d) => d.pasid)]),
  ].sort((a, b) => a - b)
  const nested = state.nesting !== undefined && fn.kind === "vf" && fn.owner !== "host"
  for (const pasid of pasids)
    for (const iova of state.iovas) {
      if (!nested)
        out.push(
          { _tag: "DeviceDmaRead", rid: fn.rid, iova, pasid },
          { _tag: "DeviceDmaWrite", rid: fn.rid, iova, pasid },
        )
      if (!fn.groups.some((g) => g.pasid === pasid && g.prgi === 0))
        out.push({ _tag: "DevicePageRequest", rid: fn.rid, pasid, iova, prgi: 0 })
    }
}

/** The commands worth trying in `state`, deterministic for equal states. */
export const enabled = (state: State): ReadonlyArray<Command> => {
  const out: Array<Command> = []
  const domains = state.iommu.domains
  for (const page of freePages(state.memory))
    for (const d of domains) out.push({ _tag: "HostAllocatePage", page, vm: d.vm })
  for (const fn of state.functions) {
    if (fn.owner === "host") {
      if (fn.link !== "removed" && assignable(state, fn))
        for (const d of domains) out.push({ _tag: "HostAssignFunction", rid: fn.rid, vm: d.vm })
      continue
    }
    if (releaseInFlight(state, fn.rid) || procedureByPid(state.host, resetPid(fn.rid)) !== undefined) continue
    out.push({ _tag: "HostReleaseFunction", rid: fn.rid })
    if (fn.link !== "removed") {
      for (const d of domains) if (fn.owner !== d.vm) out.push({ _tag: "HostReassignFunction", rid: fn.rid, vm: d.vm })
      if (fn.flr !== false) out.push({ _tag: "GuestResetFunction", vm: fn.owner, rid: fn.rid })
    }
  }
  for (const sub of state.subdevices)
    if (sub.owner === "host") for (const d of domains) out.push({ _tag: "HostAssignSubdevice", sub: sub.id, vm: d.vm })
  for (const d of domains)
    for (const iova of state.iovas) {
      const pte = d.ptes.find((p) => p.iova === iova)
      if (pte !== undefined) {
        if (pte.base === iova && procedureByPid(state.host, unmapPid(d.vm, iova)) === undefined)
          out.push({ _tag: "HostUnmapIova", vm: d.vm, iova })
      } else if (!iovaBusy(state, d.vm, iova)) {
        const next = iova + PAGE_SIZE
        const large = state.iovas.includes(next) && walk(d, next) === undefined && !iovaBusy(state, d.vm, next)
        state.memory.forEach((owner, page) => {
          if (owner !== d.vm) return
          out.push({ _tag: "HostMapIova", vm: d.vm, iova, page })
          if (large && state.memory[page + 1] === d.vm)
            out.push({ _tag: "HostMapIova", vm: d.vm, iova, page, pages: 2 })
        })
      }
    }
  for (const p of state.host.procedures) out.push({ _tag: "HostAdvance", pid: p.pid })
  if (state.host.flushQueue.length > 0 && procedureByPid(state.host, FLUSH_QUEUE_PID) === undefined)
    out.push({ _tag: "HostFlushQueue" })

  const interfaces = [
    ...state.functions.map((f) => ({ iface: f.rid, owner: f.owner, entries: f.msix.length, sub: false, mdev: false })),
    ...state.subdevices.map((d) => ({
      iface: d.id,
      owner: d.owner,
      entries: d.ims.length,
      sub: true,
      mdev: d.kind === "mdev",
    })),
  ]
  const messages = candidateMessages(state)
  for (const i of interfaces) {
    if (i.owner === "host") continue
    const vm = i.owner
    for (let entry = 0; entry < i.entries; entry++) {
      for (let vector = 0; vector < state.vectors; vector++)
        out.push({ _tag: "GuestRequestInterrupt", vm, iface: i.iface, entry, vector })
      for (const message of messages) out.push({ _tag: "GuestWriteInterruptEntry", vm, iface: i.iface, entry, message })
      out.push({ _tag: "DeviceRaiseInterrupt", iface: i.iface, entry })
    }
    if (i.mdev) for (const enable of [false, true]) out.push({ _tag: "GuestWriteBme", vm, iface: i.iface, enable })
    for (const message of messages) out.push({ _tag: "DeviceWriteMsiWindow", iface: i.iface, message })
    if (i.sub) {
      for (const iova of state.iovas)
        out.push({ _tag: "SubdeviceDmaRead", sub: i.iface, iova }, { _tag: "SubdeviceDmaWrite", sub: i.iface, iova })
      subdeviceAtsCommands(state, i.iface, out)
    }
  }

  pasidCommands(state, out)
  tdispCommands(state, out)
  nestingCommands(state, out)
  for (const fn of state.functions) {
    if (fn.posted.length > 0) out.push({ _tag: "DeviceWriteArrives", rid: fn.rid })
    if ((fn.owner === "host" && fn.malicious !== true) || fn.link === "removed") continue
    for (const iova of state.iovas) {
      if (fn.ats.enabled) out.push({ _tag: "DeviceTranslationRequest", rid: fn.rid, iova })
      out.push({ _tag: "DeviceDmaRead", rid: fn.rid, iova }, { _tag: "DeviceDmaWrite", rid: fn.rid, iova })
      if (fn.posted.length < POSTED_DEPTH) out.push({ _tag: "DevicePostWrite", rid: fn.rid, iova })
    }
    // Any function with ATS may hang; the model removes only VFs (a PF's removal takes its VFs along).
    if (fn.link === "up" && fn.ats.enabled) out.push({ _tag: "DeviceHang", rid: fn.rid })
    if (fn.kind === "vf") out.push({ _tag: "DeviceSurpriseRemoval", rid: fn.rid })
    for (const e of fn.ats.atc) {
      const pasid = e.pasid === undefined ? {} : { pasid: e.pasid }
      out.push(
        { _tag: "DeviceTranslatedRead", rid: fn.rid, iova: e.iova, ...pasid },
        { _tag: "DeviceTranslatedWrite", rid: fn.rid, iova: e.iova, ...pasid },
      )
    }
    if (fn.link === "up" && fn.ats.invalidations.length > 0)
      out.push({ _tag: "DeviceCompleteAtsInvalidation", rid: fn.rid })
    for (const peer of state.functions)
      if (unisolated(fn, peer))
        for (const access of ["read", "write"] as const)
          out.push({ _tag: "DevicePeerRequest", rid: fn.rid, peer: peer.rid, access })
    if (fn.malicious === true) maliciousCommands(state, fn, out)
  }
  return out
}
