/**
 * Commands: the actions of the modelled actors, as a tagged union with an Effect Schema so traces
 * serialize (DESIGN.md §2). Names are actor-then-verb, IDs are fields (STYLE.md §2).
 *
 * Host (kernel, VFIO, VMM):
 * - `HostAllocatePage { page, vm }`: give a free HPA page to a VM (guest RAM backing).
 * - `HostAssignFunction { rid, vm }`: VFIO assigns a VF to a VM; its context entry points at the
 *   VM's domain, and vfio's open resets the function (`host/vfio.ts`).
 * - `HostMapIova { vm, iova, page, pages? }`: `VFIO_IOMMU_MAP_DMA` of one page (or, with `pages: 2`,
 *   of a scaled-down large page of two granules) into the VM's domain.
 * - `HostUnmapIova { vm, iova }`: `VFIO_IOMMU_UNMAP_DMA`; starts the unmap procedure and runs its
 *   first step (clear the PTE).
 * - `HostAdvance { pid }`: runs the next atomic step of the host procedure `pid`.
 * - `HostFlushQueue {}`: the flush-queue timer fires: the batch flush of deferred unmaps starts.
 * - `HostAssignSubdevice { sub, vm }`: assigns an ADI or mdev to a VM (a PASID entry for a tagged one).
 *
 * Guest (a VM's driver, through what the VMM exposes):
 * - `GuestRequestInterrupt { vm, iface, entry, vector }`: the guest's driver sets up its vector on an
 *   MSI-X/IMS entry through the VMM (a trapped MSI-X/IMS write, or the IMS hypercall); the host
 *   programs an IRTE and the entry (`HostAdvance` runs the rest).
 * - `GuestWriteInterruptEntry { vm, iface, entry, message }`: the guest writes raw addr/data into an
 *   MSI-X/IMS entry; trapped, or written through when the store is guest-writable.
 * - `GuestWriteBme { vm, iface, enable }`: the guest writes Bus Master Enable in its (virtual)
 *   Command register.
 * - `GuestWriteVfCap { vm, rid, field, value }` / `GuestReadVfCap { vm, rid }`: the guest writes or
 *   reads a control bit of its VF's virtual PASID/PRI capability.
 * - `GuestPageResponse { vm, rid, pasid, prgi }`: the guest answers a page request delivered to it.
 * - `GuestConvertPage { vm, page, to }`, `GuestTsmRequest { vm, rid, request }`,
 *   `GuestDmaMap { vm, rid, page }`, `GuestDmaUnmap { vm, rid, handle }`, `GuestTrustFlip { vm, rid }`:
 *   a confidential VM's page conversion, TDISP requests to the TSM, DMA API and trust flip.
 * - `HostWriteTdiConfig { rid, field, value }`: the host writes BME or ATS Enable of a TDI's function.
 * - `DeviceDmaHandle { rid, handle, access }`: a TDI's DMA through a handle, with its T bit.
 *
 * Host, PASID/PRI:
 * - `HostWritePfCap { rid, field, value }`: the PF driver writes its PF's PASID/PRI control bit.
 * - `HostBindPasid { rid, pasid, vm }` / `HostUnbindPasid { rid, pasid }`: bind a PASID to a VM's
 *   domain; start its teardown.
 * - `HostRoutePageRequest {}`: route the oldest queued page request to its PASID's owner.
 *
 * Device (a PCIe function):
 * - `DeviceTranslationRequest { rid, iova }`: ATS Translation Request; the completion fills the ATC.
 * - `DeviceDmaRead`/`DeviceDmaWrite { rid, iova }`: untranslated memory request, translated by the IOMMU.
 * - `DeviceTranslatedRead`/`DeviceTranslatedWrite { rid, iova }`: translated request (AT=10b) using
 *   the function's ATC entry for `iova`; the IOMMU does not translate it again.
 * - `DeviceCompleteAtsInvalidation { rid }`: the device acts on its oldest pending ATS Invalidate
 *   Request and sends the Invalidation Completion.
 * - `DevicePostWrite { rid, iova, pasid? }` / `DeviceWriteArrives { rid }`: a posted memory write
 *   sent now and performed when it reaches the root complex (`pcie/posted-writes.ts`).
 * - `DeviceHang { rid }` / `DeviceSurpriseRemoval { rid }`: the function stops answering ATS
 *   invalidations, or disappears (`pcie/link.ts`).
 * - `DeviceForgeTranslated { rid, page, access }`: a malicious function's translated request for
 *   an HPA it never got a Translation Completion for (`pcie/device.ts`).
 * - `DevicePeerRequest { rid, peer, access }`: a request to a BAR of another function
 *   (`pcie/peer-to-peer.ts`).
 * - `SubdeviceTranslationRequest { sub, iova }`, `SubdeviceTranslatedRead`/`Write { sub, iova }`:
 *   an ADI's (or PASID-tagged mdev's) ATS traffic, tagged with its PASID, through its parent's ATC.
 *
 * Lifecycle (issue "device lifecycle"): `GuestResetFunction { vm, rid }`: the guest's FLR of its
 * function, performed by vfio (`host/reset.ts`); refused for a function with no reset method.
 * - `DeviceRaiseInterrupt { iface, entry }`: the interface sends the message in its MSI-X/IMS entry.
 * - `DeviceWriteMsiWindow { iface, message }`: the interface, driven by its guest, DMA-writes an
 *   addr/data pair of the guest's choosing into the 0xFEExxxxx window (PASID-tagged if it tags).
 * - `SubdeviceDmaRead`/`SubdeviceDmaWrite { sub, iova }`: DMA by an ADI or mdev.
 * - `DevicePasidRequest { rid, pasid, iova, access, privileged }`: a PASID-tagged request.
 * - `DevicePageRequest { rid, pasid, iova, prgi }`: a PRI Page Request (a group of one).
 *
 * Nesting (seed thread 001; `nesting/`):
 * - `GuestStage1Map { vm, table, iova, gpa }` / `GuestStage1Unmap { vm, table, iova }`: the guest
 *   writes or clears a PTE of its stage-1 table (no trap); the unmap queues the guest driver's
 *   invalidations, which `HostAdvance` runs.
 * - `GuestAttachStage1 { vm, vrid, pasid, table }` / `GuestDetachStage1 { vm, vrid, pasid }`: the
 *   guest points its vIOMMU entry for (vRID, PASID) at a table, or clears it (PASID 0: requests
 *   without PASID).
 * - `GuestInvalidateIotlb { vm, vtag, pasid, iova }` / `GuestInvalidateAtc { vm, vrid, pasid, iova }`:
 *   an invalidation with the guest's virtual keys, of its choosing.
 * - `HostReassignFunction { rid, vm }`: a VF moves from its VM to `vm` (the release program, then
 *   the attach to `vm`); `HostReleaseFunction { rid }`: vfio releases a VF to the host.
 * - The device commands `DeviceTranslationRequest`, `DeviceDmaRead`/`Write` and
 *   `DeviceTranslatedRead`/`Write` take an optional `pasid` (absent: a request without PASID).
 *
 * @module
 */
import { Schema } from "effect"
import { match } from "ts-pattern"
import { formatIova, HpaPage, Iova, Rid, VmId } from "./ids.ts"
import { formatMessage, Message } from "./interrupt/message.ts"

const CapFieldSchema = Schema.Literals(["pasidEnable", "exec", "priv", "priEnable"])
const Pasid = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Index = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A PASID of a nested attachment or guest invalidation: 0 stands for requests without PASID. */
const NestedPasid = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Table = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const RequestPasid = Schema.optionalKey(Pasid)

/** Schema of every command. */
export const Command = Schema.Union([
  Schema.TaggedStruct("HostAllocatePage", { page: HpaPage, vm: VmId }),
  Schema.TaggedStruct("HostAssignFunction", { rid: Rid, vm: VmId }),
  Schema.TaggedStruct("HostMapIova", {
    vm: VmId,
    iova: Iova,
    page: HpaPage,
    pages: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(2))),
  }),
  Schema.TaggedStruct("HostUnmapIova", { vm: VmId, iova: Iova }),
  Schema.TaggedStruct("HostAdvance", { pid: Schema.String }),
  Schema.TaggedStruct("DeviceTranslationRequest", { rid: Rid, iova: Iova, pasid: RequestPasid }),
  Schema.TaggedStruct("DeviceDmaRead", { rid: Rid, iova: Iova, pasid: RequestPasid }),
  Schema.TaggedStruct("DeviceDmaWrite", { rid: Rid, iova: Iova, pasid: RequestPasid }),
  Schema.TaggedStruct("DeviceTranslatedRead", { rid: Rid, iova: Iova, pasid: RequestPasid }),
  Schema.TaggedStruct("DeviceTranslatedWrite", { rid: Rid, iova: Iova, pasid: RequestPasid }),
  Schema.TaggedStruct("DeviceCompleteAtsInvalidation", { rid: Rid }),
  Schema.TaggedStruct("HostAssignSubdevice", { sub: Schema.String, vm: VmId }),
  Schema.TaggedStruct("GuestRequestInterrupt", {
    vm: VmId,
    iface: Schema.String,
    entry: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
    vector: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  }),
  Schema.TaggedStruct("GuestWriteInterruptEntry", {
    vm: VmId,
    iface: Schema.String,
    entry: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
    message: Message,
  }),
  Schema.TaggedStruct("GuestWriteBme", { vm: VmId, iface: Schema.String, enable: Schema.Boolean }),
  Schema.TaggedStruct("DeviceRaiseInterrupt", {
    iface: Schema.String,
    entry: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  }),
  Schema.TaggedStruct("DeviceWriteMsiWindow", { iface: Schema.String, message: Message }),
  Schema.TaggedStruct("SubdeviceDmaRead", { sub: Schema.String, iova: Iova }),
  Schema.TaggedStruct("SubdeviceDmaWrite", { sub: Schema.String, iova: Iova }),
  Schema.TaggedStruct("GuestWriteVfCap", { vm: VmId, rid: Rid, field: CapFieldSchema, value: Schema.Boolean }),
  Schema.TaggedStruct("GuestReadVfCap", { vm: VmId, rid: Rid }),
  Schema.TaggedStruct("HostWritePfCap", { rid: Rid, field: CapFieldSchema, value: Schema.Boolean }),
  Schema.TaggedStruct("HostBindPasid", { rid: Rid, pasid: Pasid, vm: VmId }),
  Schema.TaggedStruct("HostUnbindPasid", { rid: Rid, pasid: Pasid }),
  Schema.TaggedStruct("DevicePasidRequest", {
    rid: Rid,
    pasid: Pasid,
    iova: Iova,
    access: Schema.Literals(["read", "write", "execute"]),
    privileged: Schema.Boolean,
  }),
  Schema.TaggedStruct("DevicePageRequest", { rid: Rid, pasid: Pasid, iova: Iova, prgi: Index }),
  Schema.TaggedStruct("HostRoutePageRequest", {}),
  Schema.TaggedStruct("GuestPageResponse", { vm: VmId, rid: Rid, pasid: Pasid, prgi: Index }),
  Schema.TaggedStruct("GuestConvertPage", { vm: VmId, page: HpaPage, to: Schema.Literals(["private", "shared"]) }),
  Schema.TaggedStruct("GuestTsmRequest", {
    vm: VmId,
    rid: Rid,
    request: Schema.Literals(["LOCK_INTERFACE", "START_INTERFACE", "STOP_INTERFACE"]),
  }),
  Schema.TaggedStruct("HostWriteTdiConfig", {
    rid: Rid,
    field: Schema.Literals(["bme", "ats"]),
    value: Schema.Boolean,
  }),
  Schema.TaggedStruct("GuestDmaMap", { vm: VmId, rid: Rid, page: HpaPage }),
  Schema.TaggedStruct("GuestDmaUnmap", { vm: VmId, rid: Rid, handle: Pasid }),
  Schema.TaggedStruct("DeviceDmaHandle", { rid: Rid, handle: Pasid, access: Schema.Literals(["read", "write"]) }),
  Schema.TaggedStruct("GuestTrustFlip", { vm: VmId, rid: Rid }),
  Schema.TaggedStruct("GuestStage1Map", { vm: VmId, table: Table, iova: Iova, gpa: Iova }),
  Schema.TaggedStruct("GuestStage1Unmap", { vm: VmId, table: Table, iova: Iova }),
  Schema.TaggedStruct("GuestAttachStage1", { vm: VmId, vrid: Rid, pasid: NestedPasid, table: Table }),
  Schema.TaggedStruct("GuestDetachStage1", { vm: VmId, vrid: Rid, pasid: NestedPasid }),
  Schema.TaggedStruct("GuestInvalidateIotlb", { vm: VmId, vtag: Table, pasid: NestedPasid, iova: Iova }),
  Schema.TaggedStruct("GuestInvalidateAtc", { vm: VmId, vrid: Rid, pasid: NestedPasid, iova: Iova }),
  Schema.TaggedStruct("HostReassignFunction", { rid: Rid, vm: VmId }),
  Schema.TaggedStruct("HostReleaseFunction", { rid: Rid }),
  Schema.TaggedStruct("GuestResetFunction", { vm: VmId, rid: Rid }),
  Schema.TaggedStruct("DevicePostWrite", { rid: Rid, iova: Iova, pasid: RequestPasid }),
  Schema.TaggedStruct("DeviceWriteArrives", { rid: Rid }),
  Schema.TaggedStruct("DeviceHang", { rid: Rid }),
  Schema.TaggedStruct("DeviceSurpriseRemoval", { rid: Rid }),
  Schema.TaggedStruct("HostFlushQueue", {}),
  Schema.TaggedStruct("DeviceForgeTranslated", {
    rid: Rid,
    page: HpaPage,
    access: Schema.Literals(["read", "write"]),
  }),
  Schema.TaggedStruct("DevicePeerRequest", { rid: Rid, peer: Rid, access: Schema.Literals(["read", "write"]) }),
  Schema.TaggedStruct("SubdeviceTranslationRequest", { sub: Schema.String, iova: Iova }),
  Schema.TaggedStruct("SubdeviceTranslatedRead", { sub: Schema.String, iova: Iova }),
  Schema.TaggedStruct("SubdeviceTranslatedWrite", { sub: Schema.String, iova: Iova }),
])

/** A command (a plain object with `_tag`). */
export type Command = typeof Command.Type

/** The command tags. */
export type CommandTag = Command["_tag"]

/** Which actor a command belongs to: `"host"` or `"device"`. */
export const actorOf = (command: Command): "host" | "guest" | "device" =>
  command._tag.startsWith("Host") ? "host" : command._tag.startsWith("Guest") ? "guest" : "device"

/** Prints a command readably: `DeviceTranslatedWrite(rid=01:00.1, iova=0x2000)`. */
export const formatCommand = (command: Command): string =>
  match(command)
    .with({ _tag: "HostAllocatePage" }, (c) => `HostAllocatePage(page=${c.page}, vm=${c.vm})`)
    .with({ _tag: "HostAssignFunction" }, (c) => `HostAssignFunction(rid=${c.rid}, vm=${c.vm})`)
    .with(
      { _tag: "HostMapIova" },
      (c) =>
        `HostMapIova(vm=${c.vm}, iova=${formatIova(c.iova)}, page=${c.page}${c.pages === undefined ? "" : `, pages=${c.pages}`})`,
    )
    .with({ _tag: "HostUnmapIova" }, (c) => `HostUnmapIova(vm=${c.vm}, iova=${formatIova(c.iova)})`)
    .with({ _tag: "HostAdvance" }, (c) => `HostAdvance(pid=${c.pid})`)
    .with({ _tag: "DeviceCompleteAtsInvalidation" }, (c) => `DeviceCompleteAtsInvalidation(rid=${c.rid})`)
    .with({ _tag: "HostAssignSubdevice" }, (c) => `HostAssignSubdevice(sub=${c.sub}, vm=${c.vm})`)
    .with(
      { _tag: "GuestRequestInterrupt" },
      (c) => `GuestRequestInterrupt(vm=${c.vm}, iface=${c.iface}, entry=${c.entry}, vector=${c.vector})`,
    )
    .with(
      { _tag: "GuestWriteInterruptEntry" },
      (c) => `GuestWriteInterruptEntry(vm=${c.vm}, iface=${c.iface}, entry=${c.entry}, ${formatMessage(c.message)})`,
    )
    .with({ _tag: "GuestWriteBme" }, (c) => `GuestWriteBme(vm=${c.vm}, iface=${c.iface}, enable=${c.enable})`)
    .with({ _tag: "DeviceRaiseInterrupt" }, (c) => `DeviceRaiseInterrupt(iface=${c.iface}, entry=${c.entry})`)
    .with(
      { _tag: "DeviceWriteMsiWindow" },
      (c) => `DeviceWriteMsiWindow(iface=${c.iface}, ${formatMessage(c.message)})`,
    )
    .with(
      { _tag: "SubdeviceDmaRead" },
      { _tag: "SubdeviceDmaWrite" },
      (c) => `${c._tag}(sub=${c.sub}, iova=${formatIova(c.iova)})`,
    )
    .with(
      { _tag: "GuestWriteVfCap" },
      (c) => `GuestWriteVfCap(vm=${c.vm}, rid=${c.rid}, ${c.field}=${c.value ? 1 : 0})`,
    )
    .with({ _tag: "GuestReadVfCap" }, (c) => `GuestReadVfCap(vm=${c.vm}, rid=${c.rid})`)
    .with({ _tag: "HostWritePfCap" }, (c) => `HostWritePfCap(rid=${c.rid}, ${c.field}=${c.value ? 1 : 0})`)
    .with({ _tag: "HostBindPasid" }, (c) => `HostBindPasid(rid=${c.rid}, pasid=${c.pasid}, vm=${c.vm})`)
    .with({ _tag: "HostUnbindPasid" }, (c) => `HostUnbindPasid(rid=${c.rid}, pasid=${c.pasid})`)
    .with(
      { _tag: "DevicePasidRequest" },
      (c) =>
        `DevicePasidRequest(rid=${c.rid}, pasid=${c.pasid}, iova=${formatIova(c.iova)}, ${c.access}${c.privileged ? ", privileged" : ""})`,
    )
    .with(
      { _tag: "DevicePageRequest" },
      (c) => `DevicePageRequest(rid=${c.rid}, pasid=${c.pasid}, iova=${formatIova(c.iova)}, prgi=${c.prgi})`,
    )
    .with({ _tag: "HostRoutePageRequest" }, () => "HostRoutePageRequest()")
    .with({ _tag: "GuestConvertPage" }, (c) => `GuestConvertPage(vm=${c.vm}, page=${c.page}, to=${c.to})`)
    .with({ _tag: "GuestTsmRequest" }, (c) => `GuestTsmRequest(vm=${c.vm}, rid=${c.rid}, ${c.request})`)
    .with({ _tag: "HostWriteTdiConfig" }, (c) => `HostWriteTdiConfig(rid=${c.rid}, ${c.field}=${c.value ? 1 : 0})`)
    .with({ _tag: "GuestDmaMap" }, (c) => `GuestDmaMap(vm=${c.vm}, rid=${c.rid}, page=${c.page})`)
    .with({ _tag: "GuestDmaUnmap" }, (c) => `GuestDmaUnmap(vm=${c.vm}, rid=${c.rid}, handle=${c.handle})`)
    .with({ _tag: "DeviceDmaHandle" }, (c) => `DeviceDmaHandle(rid=${c.rid}, handle=${c.handle}, ${c.access})`)
    .with({ _tag: "GuestTrustFlip" }, (c) => `GuestTrustFlip(vm=${c.vm}, rid=${c.rid})`)
    .with(
      { _tag: "GuestPageResponse" },
      (c) => `GuestPageResponse(vm=${c.vm}, rid=${c.rid}, pasid=${c.pasid}, prgi=${c.prgi})`,
    )
    .with(
      { _tag: "DeviceTranslationRequest" },
      { _tag: "DeviceDmaRead" },
      { _tag: "DeviceDmaWrite" },
      { _tag: "DeviceTranslatedRead" },
      { _tag: "DeviceTranslatedWrite" },
      (c) => `${c._tag}(rid=${c.rid}${c.pasid === undefined ? "" : `, pasid=${c.pasid}`}, iova=${formatIova(c.iova)})`,
    )
    .with(
      { _tag: "GuestStage1Map" },
      (c) => `GuestStage1Map(vm=${c.vm}, table=${c.table}, iova=${formatIova(c.iova)}, gpa=${formatIova(c.gpa)})`,
    )
    .with(
      { _tag: "GuestStage1Unmap" },
      (c) => `GuestStage1Unmap(vm=${c.vm}, table=${c.table}, iova=${formatIova(c.iova)})`,
    )
    .with(
      { _tag: "GuestAttachStage1" },
      (c) => `GuestAttachStage1(vm=${c.vm}, vrid=${c.vrid}, pasid=${c.pasid}, table=${c.table})`,
    )
    .with({ _tag: "GuestDetachStage1" }, (c) => `GuestDetachStage1(vm=${c.vm}, vrid=${c.vrid}, pasid=${c.pasid})`)
    .with(
      { _tag: "GuestInvalidateIotlb" },
      (c) => `GuestInvalidateIotlb(vm=${c.vm}, vtag=${c.vtag}, pasid=${c.pasid}, iova=${formatIova(c.iova)})`,
    )
    .with(
      { _tag: "GuestInvalidateAtc" },
      (c) => `GuestInvalidateAtc(vm=${c.vm}, vrid=${c.vrid}, pasid=${c.pasid}, iova=${formatIova(c.iova)})`,
    )
    .with({ _tag: "HostReassignFunction" }, (c) => `HostReassignFunction(rid=${c.rid}, vm=${c.vm})`)
    .with({ _tag: "HostReleaseFunction" }, (c) => `HostReleaseFunction(rid=${c.rid})`)
    .with({ _tag: "GuestResetFunction" }, (c) => `GuestResetFunction(vm=${c.vm}, rid=${c.rid})`)
    .with(
      { _tag: "DevicePostWrite" },
      (c) =>
        `DevicePostWrite(rid=${c.rid}${c.pasid === undefined ? "" : `, pasid=${c.pasid}`}, iova=${formatIova(c.iova)})`,
    )
    .with({ _tag: "DeviceWriteArrives" }, (c) => `DeviceWriteArrives(rid=${c.rid})`)
    .with({ _tag: "DeviceHang" }, (c) => `DeviceHang(rid=${c.rid})`)
    .with({ _tag: "DeviceSurpriseRemoval" }, (c) => `DeviceSurpriseRemoval(rid=${c.rid})`)
    .with({ _tag: "HostFlushQueue" }, () => "HostFlushQueue()")
    .with({ _tag: "DeviceForgeTranslated" }, (c) => `DeviceForgeTranslated(rid=${c.rid}, page=${c.page}, ${c.access})`)
    .with({ _tag: "DevicePeerRequest" }, (c) => `DevicePeerRequest(rid=${c.rid}, peer=${c.peer}, ${c.access})`)
    .with(
      { _tag: "SubdeviceTranslationRequest" },
      { _tag: "SubdeviceTranslatedRead" },
      { _tag: "SubdeviceTranslatedWrite" },
      (c) => `${c._tag}(sub=${c.sub}, iova=${formatIova(c.iova)})`,
    )
    .exhaustive()
