/**
 * `invalidation-scope`: an invalidation a guest issues never changes the cached state of a function
 * or domain owned by someone else. Judged at each step that runs a guest's invalidations (its
 * invalidation commands, whose batch the VMM issues at once, and `HostAdvance` of its queue): no function the guest does not own receives an ATS
 * Invalidate Request or loses an ATC entry, and no combined IOTLB entry leading to a page the guest
 * does not own is dropped.
 *
 * Seed thread 001: "The VMM must translate vRID -> dev_id -> pRID"; the vDomain-ID -> pDomain-ID
 * and vRID -> pRID tables are what confines a guest's invalidations to its own devices and
 * domains (an invalidation of another VM's caches is a denial-of-service and timing channel, and
 * it makes that VM's coherence depend on another guest).
 *
 * @module
 */
import { describeFunction } from "../model/pcie/function.ts"
import { type Command, formatCommand } from "../model/command.ts"
import { formatIova, type VmId } from "../model/ids.ts"
import type { State } from "../model/state.ts"
import type { Property } from "./property.ts"

/**
 * The guest whose invalidations a transition runs: the guest's own invalidation commands (the VMM
 * issues a batch when the guest writes its queue tail) and `HostAdvance` of a guest's queue.
 */
const guestInvalidator = (before: State, command: Command): VmId | undefined => {
  switch (command._tag) {
    case "GuestStage1Unmap":
    case "GuestInvalidateIotlb":
    case "GuestInvalidateAtc":
      return command.vm
    case "HostAdvance": {
      const p = before.host.procedures.find((q) => q.pid === command.pid)
      return p?._tag === "GuestInvalidation" ? p.vm : undefined
    }
    default:
      return undefined
  }
}

/** The `invalidation-scope` property. */
export const invalidationScope: Property = {
  id: "invalidation-scope",
  statement:
    "An invalidation a guest issues never changes the cached state (ATC, pending ATS invalidations, IOTLB) of a function or domain owned by someone else.",
  kind: "isolation",
  citation: "seed thread 001 (vRID -> pRID and vDomain-ID -> pDomain-ID translation); PCIe Base 6.0 §10.3",
  check: ({ before, command, after }) => {
    const vm = guestInvalidator(before, command)
    if (vm === undefined) return undefined
    for (const fn of before.functions) {
      if (fn.owner === vm) continue
      const now = after.functions.find((f) => f.rid === fn.rid)
      if (
        now !== undefined &&
        (now.ats.invalidations.length !== fn.ats.invalidations.length || now.ats.atc.length !== fn.ats.atc.length)
      )
        return `${vm}'s invalidation (${formatCommand(command)}) reached ${describeFunction(fn)}: an ATS Invalidate Request was sent to a function ${vm} does not own`
    }
    const kept = after.nesting?.iotlb ?? []
    for (const e of before.nesting?.iotlb ?? []) {
      const owner = before.memory[e.page]
      if (owner === vm) continue
      const still = kept.some(
        (k) => k.domainTag === e.domainTag && k.addressSpace === e.addressSpace && k.iova === e.iova,
      )
      if (!still)
        return `${vm}'s invalidation (${formatCommand(command)}) dropped the combined IOTLB entry (${e.domainTag}, ${e.addressSpace}) ${formatIova(e.iova)} -> page ${e.page}, a translation into ${owner}'s memory`
    }
    return undefined
  },
}
