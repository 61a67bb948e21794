/**
 * The assignable interfaces of the platform — VFs (named by RID), ADIs and mdevs (named by id) —
 * and how each appears on the link: the RID and PASID its requests carry, its owner, whether its
 * function may master the bus, and where its interrupt entries live (seed threads 000 and 003).
 *
 * @module
 */
import type { FunctionOwner, Rid } from "../ids.ts"
import type { Message } from "../interrupt/message.ts"
import type { PolicyValues } from "../policy.ts"
import type { State } from "../state.ts"
import { linkRid, mastersBus } from "./function.ts"

/** What the link and the IOMMU see of an interface's requests. */
export interface Requester {
  /** The interface: a function's RID, or a sub-device id. */
  readonly iface: string
  readonly kind: "pf" | "vf" | "adi" | "mdev"
  readonly rid: Rid
  /** The RID its requests carry on the link (the source-id interrupt remapping validates): `rid`, or the function's DMA alias. */
  readonly sid: Rid
  /** The PASID its requests carry, if any. */
  readonly pasid: number | undefined
  readonly owner: FunctionOwner
  /** Whether the function that carries its requests masters the bus now (`mastersBus`: its Bus Master Enable, or malicious). */
  readonly bme: boolean
  /** Its interrupt entries (MSI-X of a function, IMS of an ADI; none for an mdev). */
  readonly entries: ReadonlyArray<Message | null>
}

/**
 * The requester view of `iface`, or `undefined` when no such interface exists. An ADI always tags
 * its requests with its PASID; an mdev only under `mdevMediation: "pasid-domains"`.
 */
export const requesterOf = (state: State, policy: PolicyValues, iface: string): Requester | undefined => {
  const fn = state.functions.find((f) => f.rid === iface)
  if (fn !== undefined)
    return {
      iface,
      kind: fn.kind,
      rid: fn.rid,
      sid: linkRid(fn),
      pasid: undefined,
      owner: fn.owner,
      bme: mastersBus(fn),
      entries: fn.msix,
    }
  const sub = state.subdevices.find((d) => d.id === iface)
  if (sub === undefined) return undefined
  const parent = state.functions.find((f) => f.rid === sub.parent)
  const tagged = sub.kind === "adi" || policy.mdevMediation === "pasid-domains"
  return {
    iface,
    kind: sub.kind,
    rid: sub.parent,
    sid: parent === undefined ? sub.parent : linkRid(parent),
    pasid: tagged ? sub.pasid : undefined,
    owner: sub.owner,
    bme: parent !== undefined && mastersBus(parent),
    entries: sub.ims,
  }
}

/** The owner of an interface (function RID or sub-device id), or `undefined`. */
export const interfaceOwner = (state: State, iface: string): FunctionOwner | undefined =>
  state.functions.find((f) => f.rid === iface)?.owner ?? state.subdevices.find((d) => d.id === iface)?.owner
