/**
 * A guest's own software state: what its driver wrote to the control bits of its VFs' virtual
 * PASID/PRI capability (the driver remembers what it set, and acts on it), and the page requests
 * the host delivered to it that it has not answered yet (seed thread 002).
 *
 * @module
 */
import type { Iova, Rid, VmId } from "../ids.ts"
import type { CapField } from "../pcie/pasid-pri.ts"

/** A page request delivered to the guest, awaiting its response. */
export interface GuestFault {
  readonly rid: Rid
  readonly pasid: number
  readonly prgi: number
  readonly iova: Iova
}

/** One VM's software state. */
export interface Guest {
  readonly vm: VmId
  /** Last value written per (RID, field), sorted by RID then field. */
  readonly capWrites: ReadonlyArray<{ readonly rid: Rid; readonly field: CapField; readonly value: boolean }>
  /** Delivered page requests, oldest first. */
  readonly faults: ReadonlyArray<GuestFault>
}

/** The guest's last write of `field` on `rid`, if any. */
export const believed = (guest: Guest | undefined, rid: Rid, field: CapField): boolean | undefined =>
  guest?.capWrites.find((w) => w.rid === rid && w.field === field)?.value

/** Replaces the guest of the same VM. */
export const putGuest = (guests: ReadonlyArray<Guest>, g: Guest): ReadonlyArray<Guest> =>
  guests.map((x) => (x.vm === g.vm ? g : x))
