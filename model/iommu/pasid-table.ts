/**
 * Scalable-mode PASID table entries: for a (RID, PASID), the domain that translates the requests
 * carrying that PASID (VT-d 4.x §9.6 scalable-mode PASID table entry; SMMUv3 CD table indexed by
 * SubstreamID; AMD GCR3 table). This is how Scalable IOV tells ADIs that share a RID apart (seed
 * thread 000) and how PASID-tagged mdevs get a domain each (seed thread 003).
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import type { Did } from "./context.ts"

/** A present PASID entry. */
export interface PasidEntry {
  readonly rid: Rid
  readonly pasid: number
  readonly did: Did
}

/** PASID entries sorted by (RID, PASID); an absent one blocks requests with that PASID. */
export type PasidTable = ReadonlyArray<PasidEntry>

/** The DID of (`rid`, `pasid`), or `undefined` when not present. */
export const pasidDid = (table: PasidTable, rid: Rid, pasid: number): Did | undefined =>
  table.find((e) => e.rid === rid && e.pasid === pasid)?.did

/** Installs (or replaces) a PASID entry. */
export const setPasidEntry = (table: PasidTable, entry: PasidEntry): PasidTable =>
  [...table.filter((e) => e.rid !== entry.rid || e.pasid !== entry.pasid), entry].sort((a, b) =>
    a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : a.pasid - b.pasid,
  )
