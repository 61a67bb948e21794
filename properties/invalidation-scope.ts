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
import type { AtsInvalidation } from "../model/pcie/ats.ts"
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

/**
 * Whether an ATS Invalidate Request arrived between two views of a function's pending ones (a
 * request the host forgot on a timeout is not one that arrived).
 */
const received = (before: ReadonlyArray<AtsInvalidation>, after: ReadonlyArray<AtsInvalidation>): boolean => {
  const key = (i: AtsInvalidation) => `${i.itag}|${i.pasid ?? "-"}|${i.iova ?? "*"}`
  const count = new Map<string, number>()
  for (const i of before) count.set(key(i), (count.get(key(i)) ?? 0) + 1)
  for (const i of after) {
    const n = count.get(key(i)) ?? 0
    if (n === 0) return true
    count.set(key(i), n - 1)
  }
  return false
}

/** The `invalidation-scope` property. */
export const invalidationScope: Property = {
  id: "invalidation-scope",
  statement:
    "An invalidation a guest issues never sends an ATS Invalidate Request to, nor drops a cached translation (ATC, IOTLB) of, a function or domain owned by someone else.",
  kind: "isolation",
  citation: "seed thread 001 (vRID -> pRID and vDomain-ID -> pDomain-ID translation); PCIe Base 6.0 §10.3",
  check: ({ before, command, after }) => {
    const vm = guestInvalidator(before, command)
    if (vm === undefined) return undefined
    for (const fn of before.functions) {
      if (fn.owner === vm) continue
      const now = after.functions.find((f) => f.rid === fn.rid)
      if (now === undefined) continue
      if (received(fn.ats.invalidations, now.ats.invalidations))
        return `${vm}'s invalidation (${formatCommand(command)}) reached ${describeFunction(fn)}: an ATS Invalidate Request was sent to a function ${vm} does not own`
      if (now.ats.atc.length < fn.ats.atc.length)
        return `${vm}'s invalidation (${formatCommand(command)}) dropped ATC entries of ${describeFunction(fn)}, a function ${vm} does not own`
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
