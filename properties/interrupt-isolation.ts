/**
 * `interrupt-isolation`: every interrupt the platform delivers goes to the owner of the function or
 * ADI that raised it — an ADI's owner, not merely the owner its parent function's RID stands for.
 *
 * Seed thread 000: "a secure device can never allow a guest to specify an addr/data pair for a
 * non-PASID tagged TLP"; SR-IOV is safe with any IMS storage because VF RIDs are unique and the
 * remap unit checks them; VT-d 4.x §5.1.4 (interrupt remapping validates the source-id so a
 * device cannot raise another's interrupts). An interrupt raised by an interface the host owns is
 * the host's own to route and is not judged here.
 *
 * @module
 */
import { interfaceOwner } from "../model/pcie/requester.ts"
import type { Property } from "./property.ts"

/** The `interrupt-isolation` property. */
export const interruptIsolation: Property = {
  id: "interrupt-isolation",
  statement: "Every interrupt the platform delivers goes to the owner of the function or ADI that raised it.",
  kind: "isolation",
  citation: "Seed thread 000 (SIOV/IMS); VT-d 4.x §5.1.4 (source-id validation of interrupt requests)",
  scope: "events",
  check: ({ before, events }) => {
    for (const e of events) {
      if (e._tag !== "InterruptDelivered") continue
      const owner = interfaceOwner(before, e.source)
      if (owner !== undefined && owner !== "host" && owner !== e.dest)
        return `${e.source} (owned by ${owner}, RID ${e.rid}${e.pasid === undefined ? "" : `, PASID ${e.pasid}`}) raised an interrupt delivered to ${e.dest} vector ${e.vector} via ${e.via}`
    }
    return undefined
  },
}
