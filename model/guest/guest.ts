/**
 * A guest's own software state: what its driver wrote to the control bits of its VFs' virtual
 * PASID/PRI capability (the driver remembers what it set, and acts on it), and the page requests
 * the host delivered to it that it has not answered yet (seed thread 002); for a confidential VM,
 * its DMA API's handles and its vIOMMU table (seed thread 004).
 *
 * @module
 */
import type { HpaPage, Iova, Rid, VmId } from "../ids.ts"
import type { CapField } from "../pcie/pasid-pri.ts"
import { byRid, compareText, putByKey } from "../keyed.ts"

/** A page request delivered to the guest, awaiting its response. */
export interface GuestFault {
  readonly rid: Rid
  readonly pasid: number
  readonly prgi: number
  readonly iova: Iova
}

/** A DMA handle the guest's DMA API returned: its address for the device, the page, the mode it was made in. */
export interface DmaHandle {
  readonly id: number
  readonly iova: Iova
  readonly page: HpaPage
  readonly mode: 0 | 1
}

/** One VM's software state. */
export interface Guest {
  readonly vm: VmId
  /** Per TDI (sorted by RID): the DMA ops the driver uses now (T=0 or T=1) and its live handles. */
  readonly dma: ReadonlyArray<{ readonly rid: Rid; readonly mode: 0 | 1; readonly handles: ReadonlyArray<DmaHandle> }>
  /** The guest's vIOMMU table in private memory (a confidential VM's trusted translation), by IOVA. */
  readonly viommu: ReadonlyArray<{ readonly iova: Iova; readonly page: HpaPage }>
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

type CapWrite = Guest["capWrites"][number]
const byRidField = (a: CapWrite, b: CapWrite): number => byRid(a, b) || compareText(a.field, b.field)

/** The guest's driver now believes it wrote `value` to `field` of `rid` (its last write of it). */
export const recordCapWrite = (guest: Guest, rid: Rid, field: CapField, value: boolean): Guest => ({
  ...guest,
  capWrites: putByKey(guest.capWrites, { rid, field, value }, byRidField),
})
