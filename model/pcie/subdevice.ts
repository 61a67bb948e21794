/**
 * Sub-devices that share their parent function's RID (seed threads 000 and 003):
 * - an ADI (Assignable Device Interface) of a Scalable IOV function, told apart from its siblings
 *   only by the PASID in its TLP prefix; all its DMA is PASID-tagged (Intel SIOV spec §2.3); its
 *   interrupt messages live in the function's IMS (Interrupt Message Store), one or more entries
 *   per ADI;
 * - an mdev (VFIO mediated device, Linux `drivers/vfio/mdev`), a software-defined slice of its
 *   parent: its DMA carries no PASID unless the mediating design tags it.
 *
 * @module
 */
import type { FunctionOwner, Rid } from "../ids.ts"
import type { Message } from "../interrupt/message.ts"

/** One ADI or mdev. */
export interface Subdevice {
  readonly id: string
  readonly kind: "adi" | "mdev"
  readonly parent: Rid
  /** The PASID its requests carry when tagged. */
  readonly pasid: number
  readonly owner: FunctionOwner
  /** The IMS entries of this ADI as the device holds them (`null` = not programmed). */
  readonly ims: ReadonlyArray<Message | null>
}

/** The sub-device with `id`, if any. */
export const subdeviceById = (subs: ReadonlyArray<Subdevice>, id: string): Subdevice | undefined =>
  subs.find((d) => d.id === id)

/** Replaces the sub-device with the same id. */
export const putSubdevice = (subs: ReadonlyArray<Subdevice>, d: Subdevice): ReadonlyArray<Subdevice> =>
  subs.map((x) => (x.id === d.id ? d : x))
