/**
 * `capability-coherence`: what a guest reads back from a read-write control bit of its VF's
 * virtual PASID/PRI capability is what it last wrote, and the hardware behaves accordingly for its
 * function: a request kind the guest disabled never completes, and one it enabled is not silently
 * refused by a change it cannot see.
 *
 * Seed thread 002: Alex Williamson, "if the spec defines an enable bit as r/w then software that
 * interacts with that register expects the bit is settable … a capability with a fixed enable bit
 * representing the state of the PF, not settable by the VF, is disingenuous to the spec"; the PF
 * driver changing state while a VF is assigned. PCIe Base 6.0 §7.8.8 (PASID Control), §10.5.2.2
 * (Page Request Control). The guest's last write is its driver's own state (`guests[].capWrites`).
 *
 * A write the VMM is still enforcing (`model/host/pasid-entry-update.ts`) never reaches the VF: the
 * guest's config access is trapped and its vCPU held in the exit until vfio returns (QEMU's
 * `vfio_pci_write_config` runs to completion before the vCPU resumes), so the write takes effect at
 * some point before it returns, as a Configuration Write, a Non-Posted Request, is done only when
 * its Completion is back (PCIe Base 6.0 §2.4.1). While it is in flight the guest holds
 * either value, so a kind counts as disabled (enabled) only when its last completed write and the
 * write in flight both disable (enable) it: a request that completes while the guest's enabling
 * write is on its way is what that write asked for.
 *
 * @module
 */
import { believed } from "../model/guest/guest.ts"
import { capWriteInFlight } from "../model/host/pasid-entry-update.ts"
import { CAP_FIELDS, type CapField } from "../model/pcie/pasid-pri.ts"
import type { State } from "../model/state.ts"
import type { Property } from "./property.ts"

/** The guest that owns VF `rid`, and what it last wrote to `field` there (its last completed write). */
const belief = (state: State, rid: string, field: CapField): { vm: string; value: boolean } | undefined => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined || fn.kind !== "vf" || fn.owner === "host") return undefined
  const value = believed(
    state.guests.find((g) => g.vm === fn.owner),
    rid,
    field,
  )
  return value === undefined ? undefined : { vm: fn.owner, value }
}

/**
 * The guest that owns VF `rid` when both its last completed write of `field` and its write of
 * `field` in flight, if any, set it to `value` (see the module doc); else `undefined`.
 */
const settled = (state: State, rid: string, field: CapField, value: boolean): { vm: string } | undefined => {
  const b = belief(state, rid, field)
  if (b === undefined || b.value !== value) return undefined
  const pending = capWriteInFlight(state, rid)
  return pending !== undefined && pending.vm === b.vm && pending.field === field && pending.value !== value
    ? undefined
    : b
}

/** The `capability-coherence` property. */
export const capabilityCoherence: Property = {
  id: "capability-coherence",
  statement:
    "A guest reads back the PASID/PRI control bits it last wrote on its VF, and the VF's requests follow them: a kind it disabled never completes, a kind it enabled is not silently refused (while a write of the bit is in flight, either value may hold).",
  kind: "coherence",
  citation: "Seed thread 002 (vfio/pci: Emulate PASID/PRI capability for VFs); PCIe Base 6.0 §7.8.8, §10.5.2",
  scope: "events",
  check: ({ before, events }) => {
    for (const e of events) {
      if (e._tag === "VfCapRead") {
        for (const field of CAP_FIELDS) {
          const b = belief(before, e.rid, field)
          if (b !== undefined && (e.bits === null || e.bits[field] !== b.value))
            return `${b.vm} wrote ${field}=${b.value ? 1 : 0} on ${e.rid} but reads back ${e.bits === null ? "no capability" : e.bits[field] ? 1 : 0}`
        }
      } else if (e._tag === "DmaCompleted" && e.pasid !== undefined) {
        const kinds: Array<CapField> = ["pasidEnable"]
        if (e.access === "execute") kinds.push("exec")
        if (e.privileged === true) kinds.push("priv")
        for (const field of kinds) {
          const b = settled(before, e.rid, field, false)
          if (b !== undefined)
            return `${e.rid} (${b.vm}) completed a ${e.access}${e.privileged === true ? " privileged" : ""} request with PASID ${e.pasid} although ${b.vm} disabled ${field}`
        }
      } else if (e._tag === "PageRequestQueued") {
        const b = settled(before, e.rid, "priEnable", false)
        if (b !== undefined) return `${e.rid} (${b.vm}) had a page request accepted although ${b.vm} disabled PRI`
      } else if (e._tag === "RequestNotSent") {
        const b = settled(before, e.rid, e.field, true)
        if (b !== undefined)
          return `${e.rid} (${b.vm}) did not send a request ${b.vm} enabled (${e.field}=1 in its virtual capability): ${e.reason}`
      }
    }
    return undefined
  },
}
