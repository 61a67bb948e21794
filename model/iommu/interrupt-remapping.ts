/**
 * Interrupt remapping (VT-d 4.x ch. 5; AMD IOMMU §2.2.5 interrupt remapping tables; on Arm the ITS
 * with DeviceID does the same job): the interrupt remapping table (IRT) of IRTEs, the interrupt
 * entry cache (IEC) in front of it, and the decoding of an interrupt message.
 *
 * An IRTE (VT-d §9.10) holds: present, destination and vector, and a source-id (SID) with a
 * source-validation type (SVT): `"full"` requires the requester's RID to equal the SID (SVT=01b,
 * SQ=00b), `"none"` checks nothing (SVT=00b). The future-hardware option of seed thread 000 adds a
 * PASID that a PASID-tagged interrupt must carry. With remapping enabled, a remappable-format
 * message names an IRTE by handle; an absent or non-present IRTE, or a failed SID/PASID check,
 * blocks the interrupt (an interrupt remapping fault, VT-d §5.1.4.1); a compatibility-format
 * message is blocked too (compatibility format interrupts disabled, GSTS.CFIS=0, as required with
 * x2APIC). With remapping disabled, a compatibility message goes where its addr/data say, and a
 * remappable one means nothing and is dropped.
 *
 * IRTE changes are cached: the IEC holds the IRTE last read for a handle until an IEC invalidation
 * (VT-d §6.5.2.7) drops it.
 *
 * @module
 */
import type { FunctionOwner, Rid } from "../ids.ts"
import type { Message } from "../interrupt/message.ts"

/** One interrupt remapping table entry. */
export interface Irte {
  readonly dest: FunctionOwner
  readonly vector: number
  readonly sid: Rid
  readonly svt: "full" | "none"
  /** The PASID a PASID-tagged interrupt must carry (future hardware), if any. */
  readonly pasid: number | undefined
}

/** The interrupt remapping state: the IRT (index = handle; `null` = not present) and the IEC. */
export interface InterruptRemapping {
  readonly irt: ReadonlyArray<Irte | null>
  /** Cached IRTEs, sorted by handle. */
  readonly iec: ReadonlyArray<{ readonly handle: number; readonly irte: Irte }>
}

/** The outcome of decoding an interrupt request. */
export type Decoded =
  | { readonly _tag: "Delivered"; readonly dest: FunctionOwner; readonly vector: number; readonly via: string }
  | { readonly _tag: "Blocked"; readonly reason: string }

/** The IRTE for a handle through the IEC: a cached copy, or the IRT (then cached). */
export const lookupIrte = (
  ir: InterruptRemapping,
  handle: number,
): { readonly ir: InterruptRemapping; readonly irte: Irte | undefined } => {
  const cached = ir.iec.find((e) => e.handle === handle)
  if (cached !== undefined) return { ir, irte: cached.irte }
  const irte = ir.irt[handle] ?? undefined
  if (irte === undefined) return { ir, irte }
  return {
    ir: { ...ir, iec: [...ir.iec, { handle, irte }].sort((a, b) => a.handle - b.handle) },
    irte,
  }
}

/**
 * Decodes an interrupt request from `rid` (carrying `pasid` when the message is PASID-tagged).
 * Returns the new remapping state (the IEC may fill) and where the interrupt goes.
 */
export const decodeInterrupt = (
  ir: InterruptRemapping,
  remapping: boolean,
  message: Message,
  rid: Rid,
  pasid: number | undefined,
): { readonly ir: InterruptRemapping; readonly decoded: Decoded } => {
  if (!remapping)
    return message._tag === "Compatibility"
      ? { ir, decoded: { _tag: "Delivered", dest: message.dest, vector: message.vector, via: "compatibility format" } }
      : { ir, decoded: { _tag: "Blocked", reason: "remappable format with interrupt remapping off" } }
  if (message._tag === "Compatibility")
    return { ir, decoded: { _tag: "Blocked", reason: "compatibility format blocked with interrupt remapping on" } }
  const { ir: next, irte } = lookupIrte(ir, message.handle)
  if (irte === undefined)
    return { ir: next, decoded: { _tag: "Blocked", reason: `IRTE ${message.handle} not present` } }
  if (irte.svt === "full" && irte.sid !== rid)
    return {
      ir: next,
      decoded: { _tag: "Blocked", reason: `SID ${rid} fails IRTE ${message.handle} (SID ${irte.sid})` },
    }
  if (irte.pasid !== undefined && irte.pasid !== pasid)
    return {
      ir: next,
      decoded: {
        _tag: "Blocked",
        reason: `PASID ${pasid ?? "none"} fails IRTE ${message.handle} (PASID ${irte.pasid})`,
      },
    }
  return {
    ir: next,
    decoded: { _tag: "Delivered", dest: irte.dest, vector: irte.vector, via: `IRTE ${message.handle}` },
  }
}

/** Drops the IEC entry of a handle (IEC invalidation, index-selective). */
export const invalidateIec = (ir: InterruptRemapping, handle: number): InterruptRemapping => ({
  ...ir,
  iec: ir.iec.filter((e) => e.handle !== handle),
})

/** Writes (or clears, with `null`) the IRTE of a handle. */
export const writeIrte = (ir: InterruptRemapping, handle: number, irte: Irte | null): InterruptRemapping => ({
  ...ir,
  irt: ir.irt.map((e, i) => (i === handle ? irte : e)),
})
