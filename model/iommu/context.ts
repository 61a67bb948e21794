/**
 * IOMMU context entries: for each RID, whether its requests are blocked or translated through a
 * domain, named by its Domain ID (DID).
 *
 * VT-d 4.x §9.3 (Context Entry: Present, Translation Type, Domain Identifier), AMD IOMMU §2.2.2
 * (Device Table Entry: DomainID), SMMUv3 §5.2 (Stream Table Entry: S2VMID). A RID without a context
 * entry is blocked: untranslated requests fault and translated requests are rejected
 * (VT-d §3.9, "Translation Type" reserved/blocked; SMMUv3 STE.Config = abort).
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import { byRid, putByKey } from "../keyed.ts"

/** A Domain ID: the cache tag of a domain (VT-d DID, AMD DomainID, SMMUv3 VMID). */
export type Did = number

/**
 * A present context entry: the RID's requests without PASID are translated by domain `did`, or
 * pass through untranslated (VT-d Translation Type 10b, the host's identity domain with
 * `iommu.passthrough=1`, and in effect what `vfio-noiommu` gives: DMA addresses are physical).
 * `ats` says whether the entry accepts the RID's ATS traffic, Translation Requests and translated
 * requests (VT-d legacy context Translation Type 01b "with Device-TLBs" versus 00b, scalable-mode
 * DTE bit; SMMUv3 STE.EATS; AMD DTE.I): the IOMMU driver sets it when it enables ATS on the
 * function (Linux `info->ats_enabled`), and clears it to fence a device. A pass-through entry
 * accepts no ATS traffic (VT-d TT=10b: Translation Requests and translated requests are blocked).
 * A `pasid-only` entry is the one a host-owned parent of PASID-tagged sub-devices (SIOV ADIs) has:
 * present, with a PASID table serving the sub-devices' PASIDs, its requests without PASID blocked
 * (VT-d scalable-mode context entry with no RID_PASID translation; SMMUv3 STE with substream 0
 * aborted; AMD DTE with GCR3 and no host table), its ATS acceptance per `ats` (VT-d scalable-mode
 * context DTE, STE.EATS, DTE.I).
 */
export type ContextEntry =
  | { readonly rid: Rid; readonly kind: "translated"; readonly did: Did; readonly ats: boolean }
  | { readonly rid: Rid; readonly kind: "pass-through" }
  | { readonly rid: Rid; readonly kind: "pasid-only"; readonly ats: boolean }

/** Context entries, sorted by RID; a RID that is absent is blocked. */
export type ContextTable = ReadonlyArray<ContextEntry>

/** The context entry of a RID, or `undefined` when the RID is blocked. */
export const contextEntry = (table: ContextTable, rid: Rid): ContextEntry | undefined =>
  table.find((e) => e.rid === rid)

/** The DID a RID's requests are translated with; `undefined` when blocked or pass-through. */
export const contextDid = (table: ContextTable, rid: Rid): Did | undefined => {
  const e = contextEntry(table, rid)
  return e?.kind === "translated" ? e.did : undefined
}

/** Installs (or replaces) the context entry of `rid`. */
export const setContext = (table: ContextTable, entry: ContextEntry): ContextTable => putByKey(table, entry, byRid)
