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
import { byRidPasid, putByKey } from "../keyed.ts"

/**
 * A present PASID entry and what it lets through (VT-d 4.x §9.6: the entry's domain, Execute
 * Requests Enable ERE, Supervisor Requests Enable SRE; page requests are accepted for a PASID
 * whose entry is present and allows them, §7.5). `enabled: false` blocks every request with the
 * PASID while keeping the binding (how a host enforces a guest's PASID Enable=0, seed thread 002).
 */
export interface PasidEntry extends PasidFlags {
  readonly rid: Rid
  readonly pasid: number
  readonly did: Did
}

/** What a PASID entry lets through: any request (Enable), execute, supervisor, page requests. */
export interface PasidFlags {
  readonly enabled: boolean
  readonly exec: boolean
  readonly priv: boolean
  readonly pri: boolean
}

/** The flags of an entry that lets everything through. */
export const ALLOW_ALL = { enabled: true, exec: true, priv: true, pri: true } as const

/** PASID entries sorted by (RID, PASID); an absent one blocks requests with that PASID. */
export type PasidTable = ReadonlyArray<PasidEntry>

/** The entry of (`rid`, `pasid`), or `undefined` when not present. */
export const pasidEntry = (table: PasidTable, rid: Rid, pasid: number): PasidEntry | undefined =>
  table.find((e) => e.rid === rid && e.pasid === pasid)

/** The DID of (`rid`, `pasid`) when present and enabled, else `undefined`. */
export const pasidDid = (table: PasidTable, rid: Rid, pasid: number): Did | undefined => {
  const e = pasidEntry(table, rid, pasid)
  return e?.enabled === true ? e.did : undefined
}

/** Clears the entry of (`rid`, `pasid`). */
export const clearPasidEntry = (table: PasidTable, rid: Rid, pasid: number): PasidTable =>
  table.filter((e) => e.rid !== rid || e.pasid !== pasid)

/** Installs (or replaces) a PASID entry. */
export const setPasidEntry = (table: PasidTable, entry: PasidEntry): PasidTable => putByKey(table, entry, byRidPasid)
