/**
 * Commands: the actions of the modelled actors, as a tagged union with an Effect Schema so traces
 * serialize (DESIGN.md §2). Names are actor-then-verb, IDs are fields (STYLE.md §2).
 *
 * Host (kernel, VFIO, VMM):
 * - `HostAllocatePage { page, vm }`: give a free HPA page to a VM (guest RAM backing).
 * - `HostAssignFunction { rid, vm }`: VFIO assigns a VF to a VM; its context entry points at the
 *   VM's domain.
 * - `HostMapIova { vm, iova, page }`: `VFIO_IOMMU_MAP_DMA` of one page into the VM's domain.
 * - `HostUnmapIova { vm, iova }`: `VFIO_IOMMU_UNMAP_DMA`; starts the unmap procedure and runs its
 *   first step (clear the PTE).
 * - `HostAdvance { pid }`: runs the next atomic step of the host procedure `pid`.
 *
 * Device (a PCIe function):
 * - `DeviceTranslationRequest { rid, iova }`: ATS Translation Request; the completion fills the ATC.
 * - `DeviceDmaRead`/`DeviceDmaWrite { rid, iova }`: untranslated memory request, translated by the IOMMU.
 * - `DeviceTranslatedRead`/`DeviceTranslatedWrite { rid, iova }`: translated request (AT=10b) using
 *   the function's ATC entry for `iova`; the IOMMU does not translate it again.
 * - `DeviceCompleteAtsInvalidation { rid }`: the device acts on its oldest pending ATS Invalidate
 *   Request and sends the Invalidation Completion.
 *
 * @module
 */
import { Schema } from "effect"
import { match } from "ts-pattern"
import { formatIova, HpaPage, Iova, Rid, VmId } from "./ids.ts"

/** Schema of every command. */
export const Command = Schema.Union([
  Schema.TaggedStruct("HostAllocatePage", { page: HpaPage, vm: VmId }),
  Schema.TaggedStruct("HostAssignFunction", { rid: Rid, vm: VmId }),
  Schema.TaggedStruct("HostMapIova", { vm: VmId, iova: Iova, page: HpaPage }),
  Schema.TaggedStruct("HostUnmapIova", { vm: VmId, iova: Iova }),
  Schema.TaggedStruct("HostAdvance", { pid: Schema.String }),
  Schema.TaggedStruct("DeviceTranslationRequest", { rid: Rid, iova: Iova }),
  Schema.TaggedStruct("DeviceDmaRead", { rid: Rid, iova: Iova }),
  Schema.TaggedStruct("DeviceDmaWrite", { rid: Rid, iova: Iova }),
  Schema.TaggedStruct("DeviceTranslatedRead", { rid: Rid, iova: Iova }),
  Schema.TaggedStruct("DeviceTranslatedWrite", { rid: Rid, iova: Iova }),
  Schema.TaggedStruct("DeviceCompleteAtsInvalidation", { rid: Rid }),
])

/** A command (a plain object with `_tag`). */
export type Command = typeof Command.Type

/** The command tags. */
export type CommandTag = Command["_tag"]

/** Which actor a command belongs to: `"host"` or `"device"`. */
export const actorOf = (command: Command): "host" | "device" => (command._tag.startsWith("Host") ? "host" : "device")

/** Prints a command readably: `DeviceTranslatedWrite(rid=01:00.1, iova=0x2000)`. */
export const formatCommand = (command: Command): string =>
  match(command)
    .with({ _tag: "HostAllocatePage" }, (c) => `HostAllocatePage(page=${c.page}, vm=${c.vm})`)
    .with({ _tag: "HostAssignFunction" }, (c) => `HostAssignFunction(rid=${c.rid}, vm=${c.vm})`)
    .with({ _tag: "HostMapIova" }, (c) => `HostMapIova(vm=${c.vm}, iova=${formatIova(c.iova)}, page=${c.page})`)
    .with({ _tag: "HostUnmapIova" }, (c) => `HostUnmapIova(vm=${c.vm}, iova=${formatIova(c.iova)})`)
    .with({ _tag: "HostAdvance" }, (c) => `HostAdvance(pid=${c.pid})`)
    .with({ _tag: "DeviceCompleteAtsInvalidation" }, (c) => `DeviceCompleteAtsInvalidation(rid=${c.rid})`)
    .with(
      { _tag: "DeviceTranslationRequest" },
      { _tag: "DeviceDmaRead" },
      { _tag: "DeviceDmaWrite" },
      { _tag: "DeviceTranslatedRead" },
      { _tag: "DeviceTranslatedWrite" },
      (c) => `${c._tag}(rid=${c.rid}, iova=${formatIova(c.iova)})`,
    )
    .exhaustive()
