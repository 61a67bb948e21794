/**
 * `enabled(state)`: the commands that make sense in a state, in a deterministic order (sorted IDs,
 * STYLE.md §9). The random driver picks among them; the exhaustive explorer expands all of them.
 * Every command outside this list is still accepted by `step` (as a no-op outcome), so removing a
 * command from a trace always leaves a valid trace.
 *
 * What "makes sense": host actions whose precondition holds; every request an assigned function
 * can put on the link (including ones the IOMMU will fault: a device may DMA anywhere); translated
 * requests only through an ATC entry the device holds; advancing any procedure in flight.
 *
 * @module
 */
import type { Command } from "./command.ts"
import { walk } from "./iommu/domain.ts"
import { freePages } from "./memory/pages.ts"
import type { State } from "./state.ts"

/** The commands worth trying in `state`, deterministic for equal states. */
export const enabled = (state: State): ReadonlyArray<Command> => {
  const out: Array<Command> = []
  const domains = state.iommu.domains
  for (const page of freePages(state.memory))
    for (const d of domains) out.push({ _tag: "HostAllocatePage", page, vm: d.vm })
  for (const fn of state.functions)
    if (fn.kind === "vf" && fn.owner === "host")
      for (const d of domains) out.push({ _tag: "HostAssignFunction", rid: fn.rid, vm: d.vm })
  for (const d of domains)
    for (const iova of state.iovas) {
      const busy = state.host.procedures.some((p) => p.vm === d.vm && p.iova === iova)
      if (walk(d, iova) !== undefined) {
        if (!busy) out.push({ _tag: "HostUnmapIova", vm: d.vm, iova })
      } else if (!busy) {
        state.memory.forEach((owner, page) => {
          if (owner === d.vm) out.push({ _tag: "HostMapIova", vm: d.vm, iova, page })
        })
      }
    }
  for (const p of state.host.procedures) out.push({ _tag: "HostAdvance", pid: p.pid })
  for (const fn of state.functions) {
    if (fn.owner === "host") continue
    for (const iova of state.iovas) {
      if (fn.ats.enabled) out.push({ _tag: "DeviceTranslationRequest", rid: fn.rid, iova })
      out.push({ _tag: "DeviceDmaRead", rid: fn.rid, iova }, { _tag: "DeviceDmaWrite", rid: fn.rid, iova })
    }
    for (const e of fn.ats.atc)
      out.push(
        { _tag: "DeviceTranslatedRead", rid: fn.rid, iova: e.iova },
        { _tag: "DeviceTranslatedWrite", rid: fn.rid, iova: e.iova },
      )
    if (fn.ats.invalidations.length > 0) out.push({ _tag: "DeviceCompleteAtsInvalidation", rid: fn.rid })
  }
  return out
}
