/**
 * Sending ATS Invalidate Requests and waiting for their completions, as every invalidation
 * procedure does (the host's unmap, a guest's invalidation queue under nesting): the IOMMU's
 * device-TLB invalidation command (VT-d 4.x §6.5.2.5 Device-TLB invalidate, AMD IOMMU §2.4.4
 * INVALIDATE_IOTLB_PAGES, SMMUv3 §4.5.2 CMD_ATC_INV) sends an Invalidate Request (PCIe Base 6.0
 * §10.3.1) tagged with the procedure's id; its wait completes once every device has sent the
 * Invalidation Completion (§10.3.2).
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { Iova, Rid } from "../ids.ts"
import { atsAwaiting, atsReceiveInvalidation } from "../pcie/ats.ts"
import type { State, StepContext } from "../state.ts"

/**
 * Where an Invalidate Request goes: a function, the PASID it carries (`undefined`: none, for
 * translations without PASID) and the IOVA (`undefined`: the whole range).
 */
export interface AtsTarget {
  readonly rid: Rid
  readonly pasid?: number | undefined
  readonly iova?: Iova | undefined
}

/**
 * Sends an Invalidate Request tagged `itag` to each target whose function has ATS enabled (others
 * are skipped: a function without ATS caches nothing). Returns the state and one
 * `AtsInvalidationSent` event per request, in function order.
 */
export const sendAtsInvalidations = (
  ctx: StepContext,
  state: State,
  targets: ReadonlyArray<AtsTarget>,
  itag: string,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const events: Array<Event> = []
  const functions = state.functions.map((fn) => {
    if (!fn.ats.enabled) return fn
    let ats = fn.ats
    for (const t of targets)
      if (t.rid === fn.rid) {
        ats = atsReceiveInvalidation(ats, { pasid: t.pasid, iova: t.iova, itag })
        events.push({
          _tag: "AtsInvalidationSent",
          command: ctx.vendor.atcInvalidation,
          rid: fn.rid,
          pasid: t.pasid,
          iova: t.iova,
          itag,
        })
      }
    return ats === fn.ats ? fn : { ...fn, ats }
  })
  return { state: events.length === 0 ? state : { ...state, functions }, events }
}

/** The functions that still owe an Invalidation Completion for requests tagged `itag`, in RID order. */
export const awaitedCompletions = (state: State, itag: string): ReadonlyArray<Rid> =>
  state.functions.filter((fn) => atsAwaiting(fn.ats, itag)).map((fn) => fn.rid)
