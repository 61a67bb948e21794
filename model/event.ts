/**
 * Events: the observable facts a step produces (DESIGN.md §2). Properties judge these and the
 * states before and after; reports print them.
 *
 * @module
 */
import { match } from "ts-pattern"
import { type FunctionOwner, formatIova, type HpaPage, type Iova, type Rid, type VmId } from "./ids.ts"
import type { Irte } from "./iommu/interrupt-remapping.ts"
import { formatMessage, type Message } from "./interrupt/message.ts"
import type { CapField, PasidPriBits } from "./pcie/pasid-pri.ts"
import type { TdiState } from "./tdisp/tdi.ts"

/**
 * How a DMA reached memory: through the IOTLB, a page walk, an ATS-translated request through the
 * ATC, a pass-through context, a TDI's trusted translation, or a translated request a malicious
 * device forged (its address is the HPA itself).
 */
export type DmaPath = "iotlb" | "walk" | "translated" | "pass-through" | "trusted" | "forged"

/** One observable fact. */
export type Event =
  | { readonly _tag: "PageAllocated"; readonly page: HpaPage; readonly vm: VmId }
  | { readonly _tag: "PageFreed"; readonly page: HpaPage; readonly from: VmId }
  | { readonly _tag: "IovaFreed"; readonly vm: VmId; readonly iova: Iova }
  | { readonly _tag: "FlushDeferred"; readonly vm: VmId; readonly iova: Iova }
  | { readonly _tag: "FlushQueueDone"; readonly flushed: number }
  | { readonly _tag: "DomainTagAllocated"; readonly vm: VmId; readonly did: number }
  | { readonly _tag: "DomainTagFreed"; readonly vm: VmId; readonly did: number; readonly flushed: boolean }
  | {
      readonly _tag: "EntryCacheInvalidated"
      readonly command: string
      readonly rid: Rid
      /** The PASID named (undefined: every PASID of the RID, or the context entry). */
      readonly pasid?: number | undefined
      /** The domain tag named, or every entry of the RID. */
      readonly did: number | undefined | "global"
      readonly dropped: number
    }
  | {
      readonly _tag: "WritePosted"
      readonly rid: Rid
      readonly pasid?: number
      readonly iova: Iova
      readonly issuedUnder: FunctionOwner
    }
  | { readonly _tag: "LinkChanged"; readonly rid: Rid; readonly link: "hung" | "removed" }
  | { readonly _tag: "FunctionAssigned"; readonly rid: Rid; readonly vm: VmId; readonly did: number }
  | {
      readonly _tag: "PteWritten"
      readonly vm: VmId
      readonly iova: Iova
      readonly page: HpaPage
      /** Granules of the mapping (absent: one). */
      readonly pages?: number
      /** The function whose firmware unity map this is (`iommu/reserved-regions.ts`), if it is one. */
      readonly unityFor?: Rid
    }
  | { readonly _tag: "PteCleared"; readonly vm: VmId; readonly iova: Iova; readonly page: HpaPage }
  | { readonly _tag: "IotlbFilled"; readonly did: number; readonly iova: Iova; readonly page: HpaPage }
  | {
      readonly _tag: "IotlbInvalidated"
      readonly command: string
      readonly did: number
      /** undefined: every IOVA of the domain (domain-selective). */
      readonly iova?: Iova | undefined
      /** Granules from `iova` (absent: one). */
      readonly pages?: number
      readonly dropped: number
    }
  | {
      readonly _tag: "AtsInvalidationSent"
      readonly command: string
      readonly rid: Rid
      /** The PASID the request carries (none: translations without PASID). */
      readonly pasid?: number | undefined
      /** The IOVA to drop; undefined: the whole range. */
      readonly iova?: Iova | undefined
      readonly itag: string
    }
  | {
      readonly _tag: "AtsInvalidationCompleted"
      readonly rid: Rid
      readonly pasid?: number | undefined
      readonly iova?: Iova | undefined
      readonly itag: string
      /** The pages of the ATC entries dropped. */
      readonly dropped: ReadonlyArray<HpaPage>
    }
  | { readonly _tag: "AtsInvalidationWaitDone"; readonly pid: string }
  | {
      readonly _tag: "AtsInvalidationTimedOut"
      readonly pid: string
      readonly rids: ReadonlyArray<Rid>
      /** Whether the IOMMU now refuses those functions' ATS traffic. */
      readonly fenced: boolean
    }
  | {
      readonly _tag: "TranslationCompleted"
      readonly rid: Rid
      readonly pasid?: number
      readonly iova: Iova
      readonly page: HpaPage | undefined
      readonly source: "iotlb" | "walk" | "pass-through" | "none"
    }
  | {
      readonly _tag: "AtcFilled"
      readonly rid: Rid
      readonly pasid?: number
      readonly iova: Iova
      readonly page: HpaPage
    }
  | {
      readonly _tag: "NestedIotlbFilled"
      readonly domainTag: number
      readonly addressSpace: number
      readonly iova: Iova
      readonly page: HpaPage
    }
  | {
      readonly _tag: "Stage1PteWritten"
      readonly vm: VmId
      readonly table: number
      readonly iova: Iova
      readonly gpa: Iova
    }
  | {
      readonly _tag: "Stage1PteCleared"
      readonly vm: VmId
      readonly table: number
      readonly iova: Iova
      readonly gpa: Iova
    }
  | {
      readonly _tag: "NestedAttached"
      readonly vm: VmId
      readonly vrid: Rid
      readonly rid: Rid
      readonly pasid: number
      readonly table: number
      readonly vtag: number
      readonly domainTag: number
      readonly addressSpace: number
    }
  | {
      readonly _tag: "NestedDetached"
      readonly vm: VmId
      readonly rid: Rid
      readonly pasid: number
      readonly iotlbDropped: number
      readonly atcDropped: number
    }
  | {
      readonly _tag: "NestedIotlbInvalidated"
      readonly command: string
      readonly by: FunctionOwner
      readonly domainTag: number
      readonly addressSpace: number
      /** undefined: every IOVA of the tag. */
      readonly iova?: Iova | undefined
      readonly dropped: number
    }
  | {
      readonly _tag: "GuestAtcInvalidation"
      readonly command: string
      readonly vm: VmId
      readonly vrid: Rid
      readonly pasid: number
      readonly iova: Iova
      /** What iommufd did with it; `rid` is where it went, when it went anywhere. */
      readonly disposition: "forwarded" | "forwarded-untranslated" | "discarded" | "unknown-vrid" | "no-such-function"
      readonly rid?: Rid | undefined
    }
  | {
      readonly _tag: "GuestInvalidationDone"
      readonly pid: string
      readonly unmap?: { readonly table: number; readonly iova: Iova } | undefined
    }
  | { readonly _tag: "VridAssigned"; readonly vm: VmId; readonly vrid: Rid; readonly rid: Rid }
  | { readonly _tag: "ReleaseStarted"; readonly rid: Rid; readonly from: VmId; readonly to: FunctionOwner }
  | { readonly _tag: "IrtesFreed"; readonly rid: Rid; readonly handles: ReadonlyArray<number> }
  | { readonly _tag: "FunctionIdle"; readonly rid: Rid }
  | { readonly _tag: "FunctionReset"; readonly rid: Rid; readonly atcEntries: number; readonly invalidations: number }
  | { readonly _tag: "FunctionNotReset"; readonly rid: Rid; readonly atcEntries: number }
  | {
      readonly _tag: "FunctionPageRequestsDrained"
      readonly rid: Rid
      readonly queued: number
      readonly delivered: number
      readonly answered: number
    }
  | {
      readonly _tag: "FunctionDetached"
      readonly rid: Rid
      readonly from: VmId
      readonly to: "blocking" | "host-identity"
      /** The old VM's vRID entry left pointing at the function, if any. */
      readonly staleVrid?: Rid | undefined
    }
  | { readonly _tag: "ConfigRestored"; readonly rid: Rid }
  | {
      readonly _tag: "DmaCompleted"
      readonly rid: Rid
      /** The sub-device that issued it, when not the function itself. */
      readonly initiator?: string
      /** The PASID it carried, and whether it was a privileged (supervisor) request. */
      readonly pasid?: number
      readonly privileged?: boolean
      /** The T bit of a TDI's request, and the DMA handle it went through. */
      readonly t?: 0 | 1
      readonly handle?: number
      readonly access: "read" | "write" | "execute"
      readonly iova: Iova
      readonly page: HpaPage
      readonly path: DmaPath
      /** For a posted write that arrived later: the owner the function had when it issued it. */
      readonly issuedUnder?: FunctionOwner
    }
  | {
      /** A peer-to-peer request reached `peer`'s BAR: routed inside the device or bus (`direct`) or through the IOMMU. */
      readonly _tag: "PeerRequestCompleted"
      readonly rid: Rid
      readonly peer: Rid
      readonly access: "read" | "write"
      readonly path: "direct" | "iommu"
    }
  | {
      readonly _tag: "PeerRequestFaulted"
      readonly rid: Rid
      readonly peer: Rid
      readonly access: "read" | "write"
      readonly reason: string
    }
  | {
      readonly _tag: "DmaFaulted"
      readonly rid: Rid
      readonly initiator?: string
      readonly pasid?: number
      readonly access: "read" | "write" | "execute"
      readonly iova: Iova
      readonly reason: string
      readonly issuedUnder?: FunctionOwner
    }
  | {
      readonly _tag: "VfCapWritten"
      readonly vm: VmId
      readonly rid: Rid
      readonly field: CapField
      readonly value: boolean
      readonly effect: "stored" | "dropped" | "enforced"
    }
  | { readonly _tag: "VfCapRead"; readonly vm: VmId; readonly rid: Rid; readonly bits: PasidPriBits | null }
  | {
      readonly _tag: "PasidFlagsWritten"
      readonly rid: Rid
      readonly pasids: ReadonlyArray<number>
      readonly enabled: boolean
      readonly exec: boolean
      readonly priv: boolean
      readonly pri: boolean
    }
  | {
      readonly _tag: "VfCapWriteCompleted"
      readonly vm: VmId
      readonly rid: Rid
      readonly field: CapField
      readonly value: boolean
    }
  | { readonly _tag: "PfCapWritten"; readonly rid: Rid; readonly field: CapField; readonly value: boolean }
  | { readonly _tag: "PasidEntryCleared"; readonly rid: Rid; readonly pasid: number }
  | {
      readonly _tag: "PasidDrained"
      readonly rid: Rid
      readonly pasid: number
      readonly queued: number
      readonly delivered: number
      readonly answered: number
    }
  | { readonly _tag: "PasidFreed"; readonly rid: Rid; readonly pasid: number }
  | { readonly _tag: "RequestNotSent"; readonly rid: Rid; readonly field: CapField; readonly reason: string }
  | {
      readonly _tag: "PageRequestQueued"
      readonly rid: Rid
      readonly pasid: number
      readonly prgi: number
      readonly iova: Iova
      readonly sentUnder: FunctionOwner
    }
  | {
      readonly _tag: "PageRequestRefused"
      readonly rid: Rid
      readonly pasid: number
      readonly prgi: number
      readonly reason: string
    }
  | {
      readonly _tag: "PageRequestDelivered"
      readonly rid: Rid
      readonly pasid: number
      readonly prgi: number
      readonly iova: Iova
      readonly to: VmId
      /** History variable: the owner of (RID, PASID) when the device sent the request. */
      readonly sentUnder: FunctionOwner
    }
  | { readonly _tag: "PageRequestAborted"; readonly rid: Rid; readonly pasid: number; readonly prgi: number }
  | {
      readonly _tag: "PageResponseDelivered"
      readonly rid: Rid
      readonly pasid: number
      readonly prgi: number
      readonly from: VmId
      /** History variable: the owner of (RID, PASID) when the device sent the group. */
      readonly groupSentUnder: FunctionOwner
    }
  | {
      readonly _tag: "PageResponseDropped"
      readonly rid: Rid
      readonly pasid: number
      readonly prgi: number
      readonly from: VmId
    }
  | { readonly _tag: "PageConverted"; readonly vm: VmId; readonly page: HpaPage; readonly to: "private" | "shared" }
  | {
      readonly _tag: "TdiStateChanged"
      readonly rid: Rid
      readonly from: TdiState
      readonly to: TdiState
      readonly by: string
    }
  | { readonly _tag: "TdiConfigWritten"; readonly rid: Rid; readonly field: "bme" | "ats"; readonly value: boolean }
  | {
      readonly _tag: "DmaMapped"
      readonly vm: VmId
      readonly rid: Rid
      readonly handle: number
      readonly iova: Iova
      readonly page: HpaPage
      readonly mode: 0 | 1
    }
  | {
      readonly _tag: "DmaUnmapped"
      readonly vm: VmId
      readonly rid: Rid
      readonly handle: number
      readonly iova: Iova
      readonly page: HpaPage
      /** The vIOMMU mappings the unmap removed. */
      readonly removed: ReadonlyArray<{ readonly iova: Iova; readonly page: HpaPage }>
    }
  | { readonly _tag: "DriverRebound"; readonly vm: VmId; readonly rid: Rid; readonly unmapped: number }
  | {
      readonly _tag: "TrustFlipped"
      readonly vm: VmId
      readonly rid: Rid
      readonly to: 0 | 1
      readonly handlesKept: number
    }
  | { readonly _tag: "SubdeviceAssigned"; readonly sub: string; readonly vm: VmId }
  | { readonly _tag: "PasidEntrySet"; readonly rid: Rid; readonly pasid: number; readonly did: number }
  | { readonly _tag: "BmeWritten"; readonly rid: Rid; readonly enable: boolean }
  | { readonly _tag: "GuestWriteTrapped"; readonly vm: VmId; readonly iface: string; readonly what: string }
  | {
      readonly _tag: "InterruptEntryWritten"
      readonly iface: string
      readonly entry: number
      readonly message: Message
      readonly by: "guest" | "host"
    }
  | { readonly _tag: "IrteWritten"; readonly handle: number; readonly irte: Irte }
  | {
      readonly _tag: "IecInvalidated"
      /** undefined: every handle (global invalidation). */
      readonly handle?: number | undefined
    }
  | {
      readonly _tag: "InterruptDelivered"
      /** The interface that raised it (function RID or sub-device id). */
      readonly source: string
      readonly rid: Rid
      readonly pasid: number | undefined
      readonly dest: FunctionOwner
      readonly vector: number
      readonly via: string
    }
  | { readonly _tag: "InterruptBlocked"; readonly source: string; readonly rid: Rid; readonly reason: string }
  | {
      readonly _tag: "UnmapCompleted"
      readonly vm: VmId
      readonly iova: Iova
      readonly pages: ReadonlyArray<HpaPage>
    }

const by = (e: { readonly rid: Rid; readonly initiator?: string }): string =>
  e.initiator === undefined ? e.rid : `${e.initiator} (RID ${e.rid})`

/** `"PASID 1 0x2000"`, `"0x2000"` or `"all addresses"`: the range of an ATS invalidation. */
const atsRange = (e: { readonly pasid?: number | undefined; readonly iova?: Iova | undefined }): string =>
  `${e.pasid === undefined ? "" : `PASID ${e.pasid} `}${e.iova === undefined ? "all addresses" : formatIova(e.iova)}`

/**
 * Prints an event in one line, naming cache tags in the vendor's words (`tag` is "DID", "VMID", …;
 * `space` is the second part of a nested hardware tag, "PASID" or "ASID").
 */
export const formatEvent = (event: Event, tag = "DID", space = "PASID"): string => {
  const hw = (e: { readonly domainTag: number; readonly addressSpace: number }) =>
    `(${tag} ${e.domainTag}, ${space} ${e.addressSpace})`
  return match(event)
    .with({ _tag: "PageAllocated" }, (e) => `page ${e.page} allocated to ${e.vm}`)
    .with({ _tag: "PageFreed" }, (e) => `page ${e.page} freed (was ${e.from}'s)`)
    .with({ _tag: "IovaFreed" }, (e) => `${e.vm}'s IOVA ${formatIova(e.iova)} may be mapped again`)
    .with({ _tag: "FlushDeferred" }, (e) => `${e.vm}'s ${formatIova(e.iova)} queued for the next batch flush`)
    .with({ _tag: "FlushQueueDone" }, (e) => `batch flush done: ${e.flushed} queued IOVA(s) flushed`)
    .with({ _tag: "DomainTagAllocated" }, (e) => `${e.vm}'s domain takes ${tag} ${e.did}`)
    .with(
      { _tag: "DomainTagFreed" },
      (e) =>
        `${e.vm}'s domain has no user left: ${tag} ${e.did} freed${e.flushed ? " after flushing it" : " without a flush"}`,
    )
    .with(
      { _tag: "EntryCacheInvalidated" },
      (e) =>
        `${e.command} ${e.rid}${e.pasid === undefined ? "" : ` PASID ${e.pasid}`} ${e.did === "global" ? "(global)" : e.did === undefined ? `(no ${tag})` : `${tag} ${e.did}`}: ${e.dropped} cached entr${e.dropped === 1 ? "y" : "ies"} dropped`,
    )
    .with(
      { _tag: "WritePosted" },
      (e) => `${e.rid} posted a write to ${atsRange(e)} (issued under ${e.issuedUnder}), in flight`,
    )
    .with({ _tag: "LinkChanged" }, (e) =>
      e.link === "hung" ? `${e.rid} hangs: it answers no ATS Invalidate Request any more` : `${e.rid} is removed`,
    )
    .with({ _tag: "FunctionAssigned" }, (e) => `${e.rid} assigned to ${e.vm}, context entry -> ${tag} ${e.did}`)
    .with({ _tag: "PteWritten" }, (e) =>
      e.unityFor !== undefined
        ? `${e.vm}'s domain keeps ${e.unityFor}'s RMRR unity map ${formatIova(e.iova)} -> page ${e.page}`
        : e.pages === undefined
          ? `${e.vm}'s PTE ${formatIova(e.iova)} -> page ${e.page}`
          : `${e.vm}'s mapping of ${e.pages} granules ${formatIova(e.iova)} -> pages ${e.page}…${e.page + e.pages - 1} (a large page)`,
    )
    .with({ _tag: "PteCleared" }, (e) => `${e.vm}'s PTE ${formatIova(e.iova)} cleared (was page ${e.page})`)
    .with({ _tag: "IotlbFilled" }, (e) => `IOTLB filled ${tag} ${e.did} ${formatIova(e.iova)} -> page ${e.page}`)
    .with(
      { _tag: "IotlbInvalidated" },
      (e) =>
        `${e.command} ${tag} ${e.did} ${e.iova === undefined ? "(whole domain)" : formatIova(e.iova)}: ${e.dropped} entr${e.dropped === 1 ? "y" : "ies"} dropped`,
    )
    .with({ _tag: "AtsInvalidationSent" }, (e) => `${e.command}: ATS Invalidate Request to ${e.rid} for ${atsRange(e)}`)
    .with(
      { _tag: "AtsInvalidationCompleted" },
      (e) =>
        `${e.rid} completed ATS invalidation of ${atsRange(e)}${e.dropped.length === 0 ? " (no entry)" : ` (dropped -> page ${e.dropped.join(", ")})`}`,
    )
    .with({ _tag: "AtsInvalidationWaitDone" }, (e) => `${e.pid}: every ATS Invalidation Completion received`)
    .with(
      { _tag: "AtsInvalidationTimedOut" },
      (e) =>
        `${e.pid}: ATS invalidation timed out waiting for ${e.rids.join(", ")}${e.fenced ? "; the IOMMU now refuses their ATS traffic (fenced)" : "; treated as complete"}`,
    )
    .with({ _tag: "TranslationCompleted" }, (e) =>
      e.page === undefined
        ? `Translation Completion to ${e.rid} for ${formatIova(e.iova)}: no access (R=W=0)`
        : `Translation Completion to ${e.rid}: ${formatIova(e.iova)} -> page ${e.page} (from ${e.source})`,
    )
    .with({ _tag: "AtcFilled" }, (e) => `${e.rid} ATC filled ${atsRange(e)} -> page ${e.page}`)
    .with(
      { _tag: "NestedIotlbFilled" },
      (e) => `IOTLB filled ${hw(e)} ${formatIova(e.iova)} -> page ${e.page} (stage 1 + stage 2)`,
    )
    .with(
      { _tag: "Stage1PteWritten" },
      (e) => `${e.vm} wrote its stage-1 table ${e.table}: ${formatIova(e.iova)} -> GPA ${formatIova(e.gpa)} (no trap)`,
    )
    .with(
      { _tag: "Stage1PteCleared" },
      (e) =>
        `${e.vm} cleared its stage-1 table ${e.table} PTE ${formatIova(e.iova)} (was GPA ${formatIova(e.gpa)}, no trap)`,
    )
    .with(
      { _tag: "NestedAttached" },
      (e) =>
        `${e.vm}'s vRID ${e.vrid} PASID ${e.pasid} -> stage-1 table ${e.table} (guest tag ${e.vtag}): ${e.rid} PASID ${e.pasid} attached, hardware tag ${hw(e)}`,
    )
    .with(
      { _tag: "NestedDetached" },
      (e) =>
        `${e.rid} PASID ${e.pasid} detached from ${e.vm}'s stage 1 (${e.iotlbDropped} IOTLB and ${e.atcDropped} ATC entries flushed)`,
    )
    .with(
      { _tag: "NestedIotlbInvalidated" },
      (e) =>
        `${e.command} for ${e.by}: IOTLB ${hw(e)} ${e.iova === undefined ? "all addresses" : formatIova(e.iova)}, ${e.dropped} entr${e.dropped === 1 ? "y" : "ies"} dropped`,
    )
    .with(
      { _tag: "GuestAtcInvalidation" },
      (e) =>
        `${e.vm}'s ${e.command} vRID ${e.vrid} PASID ${e.pasid} ${formatIova(e.iova)}: ${
          e.disposition === "no-such-function"
            ? `sent to ${e.rid ?? "?"}, which is no ATS-enabled function`
            : `${e.disposition}${e.rid === undefined ? "" : ` to ${e.rid}`}`
        }`,
    )
    .with(
      { _tag: "GuestInvalidationDone" },
      (e) =>
        `${e.pid}: wait descriptor completed${e.unmap === undefined ? "" : ` (the guest's unmap of table ${e.unmap.table} ${formatIova(e.unmap.iova)} is done)`}`,
    )
    .with({ _tag: "VridAssigned" }, (e) => `${e.vm}'s virtual IOMMU: vRID ${e.vrid} -> ${e.rid}`)
    .with({ _tag: "ReleaseStarted" }, (e) => `vfio releases ${e.rid} from ${e.from} (next owner: ${e.to})`)
    .with(
      { _tag: "IrtesFreed" },
      (e) => `${e.rid}'s IRQs freed: IRTEs [${e.handles.join(", ")}] cleared, IEC invalidated`,
    )
    .with({ _tag: "FunctionIdle" }, (e) => `${e.rid} has no posted write in flight`)
    .with(
      { _tag: "FunctionReset" },
      (e) =>
        `FLR of ${e.rid}: ${e.atcEntries} ATC entr${e.atcEntries === 1 ? "y" : "ies"} and ${e.invalidations} unanswered ATS invalidation(s) dropped`,
    )
    .with(
      { _tag: "FunctionNotReset" },
      (e) =>
        `${e.rid} has no reset method: nothing reset, its ATC keeps ${e.atcEntries} entr${e.atcEntries === 1 ? "y" : "ies"}`,
    )
    .with(
      { _tag: "FunctionPageRequestsDrained" },
      (e) =>
        `${e.rid}'s page requests drained: ${e.queued} queued, ${e.delivered} delivered, ${e.answered} groups answered`,
    )
    .with(
      { _tag: "FunctionDetached" },
      (e) =>
        `${e.rid} detached from ${e.from} to ${e.to === "blocking" ? "a blocking domain" : "the host's identity domain"}${e.staleVrid === undefined ? "" : `; vRID ${e.staleVrid} kept in ${e.from}`}`,
    )
    .with({ _tag: "ConfigRestored" }, (e) => `${e.rid}'s saved configuration restored`)
    .with(
      { _tag: "DmaCompleted" },
      (e) =>
        `DMA ${e.access} by ${by(e)} at ${formatIova(e.iova)} reached page ${e.page} (${e.path})${e.issuedUnder === undefined ? "" : `, a posted write issued under ${e.issuedUnder}`}`,
    )
    .with(
      { _tag: "PeerRequestCompleted" },
      (e) =>
        `peer-to-peer ${e.access} by ${e.rid} reached ${e.peer}'s BAR (${e.path === "direct" ? "routed inside the device or bus: the IOMMU never saw it" : "through the IOMMU"})`,
    )
    .with(
      { _tag: "PeerRequestFaulted" },
      (e) => `peer-to-peer ${e.access} by ${e.rid} to ${e.peer}'s BAR faulted: ${e.reason}`,
    )
    .with({ _tag: "DmaFaulted" }, (e) => `DMA ${e.access} by ${by(e)} at ${formatIova(e.iova)} faulted: ${e.reason}`)
    .with({ _tag: "SubdeviceAssigned" }, (e) => `${e.sub} assigned to ${e.vm}`)
    .with({ _tag: "PasidEntrySet" }, (e) => `PASID entry ${e.rid} PASID ${e.pasid} -> ${tag} ${e.did}`)
    .with({ _tag: "BmeWritten" }, (e) => `${e.rid} Bus Master Enable = ${e.enable ? 1 : 0}`)
    .with({ _tag: "GuestWriteTrapped" }, (e) => `${e.vm}'s write of ${e.what} on ${e.iface} trapped by the VMM`)
    .with(
      { _tag: "InterruptEntryWritten" },
      (e) => `${e.by} wrote ${e.iface} interrupt entry ${e.entry} = ${formatMessage(e.message)}`,
    )
    .with(
      { _tag: "IrteWritten" },
      (e) =>
        `IRTE ${e.handle} = dest ${e.irte.dest} vector ${e.irte.vector}, SID ${e.irte.sid} (SVT ${e.irte.svt})${e.irte.pasid === undefined ? "" : `, PASID ${e.irte.pasid}`}`,
    )
    .with({ _tag: "IecInvalidated" }, (e) =>
      e.handle === undefined ? "IEC invalidated (global)" : `IEC invalidated for IRTE ${e.handle}`,
    )
    .with(
      { _tag: "InterruptDelivered" },
      (e) =>
        `interrupt from ${e.source} (RID ${e.rid}${e.pasid === undefined ? "" : `, PASID ${e.pasid}`}) delivered to ${e.dest} vector ${e.vector} via ${e.via}`,
    )
    .with({ _tag: "InterruptBlocked" }, (e) => `interrupt from ${e.source} (RID ${e.rid}) blocked: ${e.reason}`)
    .with({ _tag: "VfCapWritten" }, (e) => `${e.vm} wrote ${e.rid} virtual ${e.field}=${e.value ? 1 : 0} (${e.effect})`)
    .with(
      { _tag: "VfCapRead" },
      (e) =>
        `${e.vm} read ${e.rid} virtual PASID/PRI control: ${
          e.bits === null
            ? "no capability"
            : Object.entries(e.bits)
                .map(([k, v]) => `${k}=${v ? 1 : 0}`)
                .join(" ")
        }`,
    )
    .with(
      { _tag: "PasidFlagsWritten" },
      (e) =>
        `PASID entries of ${e.rid} [${e.pasids.join(", ")}]: Enable=${e.enabled ? 1 : 0} ERE=${e.exec ? 1 : 0} SRE=${e.priv ? 1 : 0} PRI=${e.pri ? 1 : 0}`,
    )
    .with(
      { _tag: "VfCapWriteCompleted" },
      (e) =>
        `${e.vm}'s write of ${e.rid} virtual ${e.field}=${e.value ? 1 : 0} completed (enforced on every PASID entry)`,
    )
    .with({ _tag: "PfCapWritten" }, (e) => `PF driver wrote ${e.rid} ${e.field}=${e.value ? 1 : 0}`)
    .with({ _tag: "PasidEntryCleared" }, (e) => `PASID entry ${e.rid} PASID ${e.pasid} cleared`)
    .with(
      { _tag: "PasidDrained" },
      (e) =>
        `PASID ${e.pasid} of ${e.rid} drained: ${e.queued} queued dropped, ${e.delivered} delivered discarded, ${e.answered} groups answered (failure)`,
    )
    .with({ _tag: "PasidFreed" }, (e) => `PASID ${e.pasid} of ${e.rid} freed`)
    .with({ _tag: "RequestNotSent" }, (e) => `${e.rid} did not send a request: ${e.reason}`)
    .with(
      { _tag: "PageRequestQueued" },
      (e) =>
        `page request ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} at ${formatIova(e.iova)} queued (PASID owned by ${e.sentUnder})`,
    )
    .with(
      { _tag: "PageRequestRefused" },
      (e) => `page request ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} refused: ${e.reason}`,
    )
    .with(
      { _tag: "PageRequestDelivered" },
      (e) => `page request ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} (${formatIova(e.iova)}) delivered to ${e.to}`,
    )
    .with(
      { _tag: "PageRequestAborted" },
      (e) => `page request ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} answered by the host (no owner)`,
    )
    .with(
      { _tag: "PageResponseDelivered" },
      (e) =>
        `page group response from ${e.from} completed ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} (sent under ${e.groupSentUnder})`,
    )
    .with({ _tag: "PageConverted" }, (e) => `${e.vm} converted page ${e.page} to ${e.to}`)
    .with({ _tag: "TdiStateChanged" }, (e) => `TDI ${e.rid}: ${e.from} -> ${e.to} (${e.by})`)
    .with({ _tag: "TdiConfigWritten" }, (e) => `host wrote ${e.rid} ${e.field}=${e.value ? 1 : 0}`)
    .with(
      { _tag: "DmaMapped" },
      (e) => `${e.vm} dma_map(page ${e.page}) for ${e.rid} = handle ${e.handle} at ${formatIova(e.iova)} (T=${e.mode})`,
    )
    .with(
      { _tag: "DmaUnmapped" },
      (e) =>
        `${e.vm} dma_unmap(handle ${e.handle}) for ${e.rid}${e.removed.length === 0 ? "" : `, removed vIOMMU ${e.removed.map((m) => `${formatIova(m.iova)} -> page ${m.page}`).join(", ")}`}`,
    )
    .with(
      { _tag: "DriverRebound" },
      (e) => `${e.vm} unbound the driver of ${e.rid} (${e.unmapped} handles unmapped) and bound it again`,
    )
    .with(
      { _tag: "TrustFlipped" },
      (e) => `${e.vm}'s driver of ${e.rid} now uses T=${e.to} DMA ops (${e.handlesKept} handles kept)`,
    )
    .with(
      { _tag: "PageResponseDropped" },
      (e) => `page group response from ${e.from} for ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} dropped: no such group`,
    )
    .with(
      { _tag: "UnmapCompleted" },
      (e) =>
        `unmap of ${e.vm} ${formatIova(e.iova)} (page${e.pages.length === 1 ? "" : "s"} ${e.pages.join(", ")}) completed`,
    )
    .exhaustive()
}
