/**
 * `trust-isolation`: no T=0 request reaches a private page of a confidential VM, and no T=1
 * request completes from a TDI that is not in RUN or whose locked configuration was changed.
 *
 * PCIe TDISP ECN (§11.1: T=0 requests are the untrusted path and must not reach TVM private
 * memory; §11.2.6: a change of locked configuration takes the TDI out of RUN); seed thread 004.
 * Every request that does not carry T=1 counts as T=0. The locked configuration is the snapshot
 * the TDI took at LOCK_INTERFACE, compared with the function's configuration now.
 *
 * @module
 */
import { configChanged } from "../model/tdisp/tdi.ts"
import type { Property } from "./property.ts"

/** The `trust-isolation` property. */
export const trustIsolation: Property = {
  id: "trust-isolation",
  statement:
    "No T=0 request reaches a confidential VM's private page, and no T=1 request completes from a TDI not in RUN or whose locked configuration changed.",
  kind: "isolation",
  citation: "PCIe TDISP ECN §11.1, §11.2.6; seed thread 004",
  scope: "events",
  check: ({ before, events }) => {
    for (const e of events) {
      if (e._tag !== "DmaCompleted") continue
      if (e.t !== 1) {
        if (before.privatePages[e.page] === true)
          return `a T=0 ${e.access} by ${e.initiator ?? e.rid} reached page ${e.page}, private to ${before.memory[e.page]}`
        continue
      }
      const fn = before.functions.find((f) => f.rid === e.rid)
      if (fn?.tdi === undefined) continue
      if (fn.tdi.state !== "RUN")
        return `a T=1 ${e.access} from ${e.rid} completed while its TDI is in ${fn.tdi.state} (page ${e.page})`
      if (configChanged(fn))
        return `a T=1 ${e.access} from ${e.rid} completed after its locked configuration changed, its TDI still in RUN (page ${e.page})`
    }
    return undefined
  },
}
