/**
 * Interrupt messages: what a function stores in an MSI-X or IMS entry and sends as a DWORD memory
 * write to the interrupt address window 0xFEExxxxx (Intel SDM Vol. 3 §11.11 MSI address/data; VT-d
 * 4.x §5.1.2 interrupt request formats; SIOV spec text quoted in seed thread 000).
 *
 * Two address/data formats:
 * - `compatibility`: addr/data name the destination and the vector directly. Here the destination
 *   is the owner whose vCPUs/APICs are targeted: `"host"` or a VM id.
 * - `remappable`: addr/data carry an interrupt handle, the index of an IRTE in the interrupt
 *   remapping table (VT-d §5.1.2.2); the IRTE holds the real destination and vector.
 *
 * @module
 */
import { Schema } from "effect"
import { FunctionOwner } from "../ids.ts"

/** The base of the interrupt address window (0xFEE00000, 1 MiB). */
export const MSI_WINDOW = 0xfee00000

/** Schema of an interrupt message. */
export const Message = Schema.Union([
  Schema.TaggedStruct("Compatibility", {
    dest: FunctionOwner,
    vector: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  }),
  Schema.TaggedStruct("Remappable", { handle: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) }),
])
/** An interrupt message (addr/data pair). */
export type Message = typeof Message.Type

/** `compat(vm2, vector 0)` or `remap(handle 3)`. */
export const formatMessage = (m: Message): string =>
  m._tag === "Compatibility" ? `compat(${m.dest}, vector ${m.vector})` : `remap(handle ${m.handle})`
