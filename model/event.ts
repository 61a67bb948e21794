/**
 * Events: the observable facts a step produces (DESIGN.md §2). Properties judge these and the
 * states before and after; reports print them.
 *
 * @module
 */
import { match } from "ts-pattern"
import { formatIova, type HpaPage, type Iova, type Rid, type VmId } from "./ids.ts"

/** How a DMA reached memory: through the IOTLB, through a page walk, or as an ATS-translated request. */
export type DmaPath = "iotlb" | "walk" | "translated"

/** One observable fact. */
export type Event =
  | { readonly _tag: "PageAllocated"; readonly page: HpaPage; readonly vm: VmId }
  | { readonly _tag: "PageFreed"; readonly page: HpaPage; readonly from: VmId }
  | { readonly _tag: "FunctionAssigned"; readonly rid: Rid; readonly vm: VmId; readonly did: number }
  | { readonly _tag: "PteWritten"; readonly did: number; readonly iova: Iova; readonly page: HpaPage }
  | { readonly _tag: "PteCleared"; readonly did: number; readonly iova: Iova; readonly page: HpaPage }
  | { readonly _tag: "IotlbFilled"; readonly did: number; readonly iova: Iova; readonly page: HpaPage }
  | {
      readonly _tag: "IotlbInvalidated"
      readonly command: string
      readonly did: number
      readonly iova: Iova
      readonly dropped: number
    }
  | {
      readonly _tag: "AtsInvalidationSent"
      readonly command: string
      readonly rid: Rid
      readonly iova: Iova
      readonly itag: string
    }
  | {
      readonly _tag: "AtsInvalidationCompleted"
      readonly rid: Rid
      readonly iova: Iova
      readonly itag: string
      readonly dropped: HpaPage | undefined
    }
  | { readonly _tag: "AtsInvalidationWaitDone"; readonly pid: string }
  | {
      readonly _tag: "TranslationCompleted"
      readonly rid: Rid
      readonly iova: Iova
      readonly page: HpaPage | undefined
      readonly source: "iotlb" | "walk" | "none"
    }
  | { readonly _tag: "AtcFilled"; readonly rid: Rid; readonly iova: Iova; readonly page: HpaPage }
  | {
      readonly _tag: "DmaCompleted"
      readonly rid: Rid
      readonly access: "read" | "write"
      readonly iova: Iova
      readonly page: HpaPage
      readonly path: DmaPath
    }
  | {
      readonly _tag: "DmaFaulted"
      readonly rid: Rid
      readonly access: "read" | "write"
      readonly iova: Iova
      readonly reason: string
    }
  | {
      readonly _tag: "UnmapCompleted"
      readonly vm: VmId
      readonly did: number
      readonly iova: Iova
      readonly page: HpaPage
    }

/** Prints an event in one line, naming cache tags in the vendor's words (`tag` is "DID", "VMID", …). */
export const formatEvent = (event: Event, tag = "DID"): string =>
  match(event)
    .with({ _tag: "PageAllocated" }, (e) => `page ${e.page} allocated to ${e.vm}`)
    .with({ _tag: "PageFreed" }, (e) => `page ${e.page} freed (was ${e.from}'s)`)
    .with({ _tag: "FunctionAssigned" }, (e) => `${e.rid} assigned to ${e.vm}, context entry -> ${tag} ${e.did}`)
    .with({ _tag: "PteWritten" }, (e) => `PTE ${tag} ${e.did} ${formatIova(e.iova)} -> page ${e.page}`)
    .with({ _tag: "PteCleared" }, (e) => `PTE ${tag} ${e.did} ${formatIova(e.iova)} cleared (was page ${e.page})`)
    .with({ _tag: "IotlbFilled" }, (e) => `IOTLB filled ${tag} ${e.did} ${formatIova(e.iova)} -> page ${e.page}`)
    .with(
      { _tag: "IotlbInvalidated" },
      (e) =>
        `${e.command} ${tag} ${e.did} ${formatIova(e.iova)}: ${e.dropped} entr${e.dropped === 1 ? "y" : "ies"} dropped`,
    )
    .with(
      { _tag: "AtsInvalidationSent" },
      (e) => `${e.command}: ATS Invalidate Request to ${e.rid} for ${formatIova(e.iova)}`,
    )
    .with(
      { _tag: "AtsInvalidationCompleted" },
      (e) =>
        `${e.rid} completed ATS invalidation of ${formatIova(e.iova)}${e.dropped === undefined ? " (no entry)" : ` (dropped -> page ${e.dropped})`}`,
    )
    .with({ _tag: "AtsInvalidationWaitDone" }, (e) => `${e.pid}: every ATS Invalidation Completion received`)
    .with({ _tag: "TranslationCompleted" }, (e) =>
      e.page === undefined
        ? `Translation Completion to ${e.rid} for ${formatIova(e.iova)}: no access (R=W=0)`
        : `Translation Completion to ${e.rid}: ${formatIova(e.iova)} -> page ${e.page} (from ${e.source})`,
    )
    .with({ _tag: "AtcFilled" }, (e) => `${e.rid} ATC filled ${formatIova(e.iova)} -> page ${e.page}`)
    .with(
      { _tag: "DmaCompleted" },
      (e) => `DMA ${e.access} by ${e.rid} at ${formatIova(e.iova)} reached page ${e.page} (${e.path})`,
    )
    .with({ _tag: "DmaFaulted" }, (e) => `DMA ${e.access} by ${e.rid} at ${formatIova(e.iova)} faulted: ${e.reason}`)
    .with(
      { _tag: "UnmapCompleted" },
      (e) => `unmap of ${e.vm} ${formatIova(e.iova)} (${tag} ${e.did}, page ${e.page}) completed`,
    )
    .exhaustive()
