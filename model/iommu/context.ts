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

/** A Domain ID: the cache tag of a domain (VT-d DID, AMD DomainID, SMMUv3 VMID). */
export type Did = number

/** A present context entry: the RID's requests are translated by domain `did`. */
export interface ContextEntry {
  readonly rid: Rid
  readonly did: Did
}

/** Context entries, sorted by RID; a RID that is absent is blocked. */
export type ContextTable = ReadonlyArray<ContextEntry>

/** The DID a RID's requests are translated with, or `undefined` when the RID is blocked. */
export const contextDid = (table: ContextTable, rid: Rid): Did | undefined => table.find((e) => e.rid === rid)?.did

/** Installs (or replaces) the context entry of `rid`. */
export const setContext = (table: ContextTable, entry: ContextEntry): ContextTable =>
  [...table.filter((e) => e.rid !== entry.rid), entry].sort((a, b) => (a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : 0))

/** RIDs whose context entry points at `did`, in RID order. */
export const ridsInDomain = (table: ContextTable, did: Did): ReadonlyArray<Rid> =>
  table.filter((e) => e.did === did).map((e) => e.rid)
