/**
 * A PCIe function: PF or VF (PCIe SR-IOV, PCIe Base 6.0 §9), told apart by its RID, with its owner
 * and its ATS state. A VF has its own RID and so its own IOMMU context entry; it is assigned to a
 * VM through VFIO (Linux `drivers/vfio/pci`).
 *
 * @module
 */
import type { FunctionOwner, HpaPage, Iova, Rid } from "../ids.ts"
import type { Message } from "../interrupt/message.ts"
import type { AtsState } from "./ats.ts"
import type { Tdi } from "../tdisp/tdi.ts"
import type { OutstandingGroup, PasidPriBits } from "./pasid-pri.ts"

/** Physical function or SR-IOV virtual function. */
export type FunctionKind = "pf" | "vf"

/** One PCIe function. */
export interface PcieFunction {
  readonly rid: Rid
  readonly kind: FunctionKind
  /** RID of the parent PF, for a VF. */
  readonly pf: Rid | undefined
  /** The host, or the VM the function is assigned to. */
  readonly owner: FunctionOwner
  readonly ats: AtsState
  /**
   * Command register Bus Master Enable (PCIe Base 6.0 §7.5.1.1.3): when clear, the function issues
   * no memory request, MSI/MSI-X included.
   */
  readonly bme: boolean
  /** The physical MSI-X table entries (`null` = not programmed). */
  readonly msix: ReadonlyArray<Message | null>
  /** A PF's PASID and PRI capability bits, when it implements them (never on a VF). */
  readonly caps: PasidPriBits | undefined
  /** Page request groups sent and not yet answered, oldest first. */
  readonly groups: ReadonlyArray<OutstandingGroup>
  /** The TDI of a TDISP-capable function, with the device's trust mode. */
  readonly tdi: Tdi | undefined
  /**
   * Memory writes the function has posted that have not reached the root complex yet, oldest
   * first (at most `POSTED_DEPTH`): a posted request needs no completion (PCIe Base 6.0 §2.4), so
   * the function cannot recall it, a reset does not stop it, and it is translated with whatever
   * the IOMMU's tables say when it arrives.
   */
  readonly posted: ReadonlyArray<PostedWrite>
  /**
   * The function's state on the link: `up`; `hung` (it stopped answering ATS Invalidate Requests,
   * and may still issue requests); `removed` (surprise removal: it issues and answers nothing).
   */
  readonly link: "up" | "hung" | "removed"
  /**
   * Set when an ATS invalidation of a function with no reset method (`flr: false`) timed out and
   * the host fenced its ATS (`host/ats-invalidation.ts`): nothing can empty its ATC again, so no
   * later attachment accepts its ATS traffic (`host/vfio.ts`). A function with a reset method has
   * no such record: the reset of vfio's open empties its ATC before any later attachment, which
   * then enables ATS as before (a record would only tell apart states that behave the same).
   */
  readonly atsFenced?: true
  /**
   * Static attributes of the topology (`topology.ts`; issue "adversarial devices"), present only
   * when they differ from an honest, trusted function with its own RID, ACS and no reserved memory:
   * `malicious` (the device sends any TLP its link allows), `untrusted` (Linux `pdev->untrusted`),
   * `requesterId` (the RID its requests carry), `acs: false`, `rmrr` (its reserved HPA pages),
   * `flr: false` (no reset method: a reset leaves it as it is, `pcie/flr.ts`).
   */
  readonly malicious?: true
  readonly untrusted?: true
  readonly requesterId?: Rid
  readonly acs?: false
  readonly rmrr?: ReadonlyArray<HpaPage>
  readonly flr?: false
}

/**
 * Whether the function puts requests on the link now: an honest function only with Bus Master
 * Enable set (PCIe Base 6.0 §7.5.1.1.3); a malicious one whatever its Command register says
 * (Bus Master Enable is a request to the device, not a gate in front of it).
 */
export const mastersBus = (fn: PcieFunction): boolean => fn.bme || fn.malicious === true

/** The RID a function's requests carry on the link: its own, or its DMA alias. */
export const linkRid = (fn: PcieFunction): Rid => fn.requesterId ?? fn.rid

/** The RIDs the host gives a function context entries for: its own and its DMA alias (Linux `pci_for_each_dma_alias`). */
export const functionRids = (fn: PcieFunction): ReadonlyArray<Rid> =>
  fn.requesterId === undefined ? [fn.rid] : [fn.rid, fn.requesterId]

/** A posted memory write in the fabric: where it goes and whose request it was when issued. */
export interface PostedWrite {
  readonly iova: Iova
  /** The PASID it carries, if any. */
  readonly pasid: number | undefined
  /** The owner of the function when it issued the write (a history variable for the properties). */
  readonly issuedUnder: FunctionOwner
}

/** Most posted writes a function has in the fabric at once. */
export const POSTED_DEPTH = 1

/** Index of the function with `rid` in a RID-sorted array, or -1. */
export const functionIndex = (functions: ReadonlyArray<PcieFunction>, rid: Rid): number =>
  functions.findIndex((f) => f.rid === rid)

/** Replaces the function at `index`. */
export const updateFunction = (
  functions: ReadonlyArray<PcieFunction>,
  index: number,
  f: (fn: PcieFunction) => PcieFunction,
): ReadonlyArray<PcieFunction> => functions.map((fn, i) => (i === index ? f(fn) : fn))

/** `"VF 01:00.1 (vm1)"`: how messages name a function. */
export const describeFunction = (fn: PcieFunction): string => `${fn.kind.toUpperCase()} ${fn.rid} (${fn.owner})`
