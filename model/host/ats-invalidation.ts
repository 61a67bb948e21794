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
import { Schema } from "effect"
import type { Event } from "../event.ts"
import type { Iova, Rid } from "../ids.ts"
import { invalidateContextCache } from "../iommu/entry-cache.ts"
import { atsAwaiting, atsReceiveInvalidation } from "../pcie/ats.ts"
import type { PolicyValues } from "../policy.ts"
import { opInput, opParams } from "../program.ts"
import type { State, StepContext } from "../state.ts"

/**
 * Where an Invalidate Request goes: a function, the PASID it carries (`undefined`: none, for
 * translations without PASID) and the IOVA (`undefined`: the whole range).
 */
export interface AtsTarget {
  readonly rid: Rid
  readonly pasid?: number | undefined
  readonly iova?: Iova | undefined
  /** Granules from `iova` (absent: one). */
  readonly pages?: number | undefined
}

/**
 * Sends an Invalidate Request tagged `itag` to each target whose function has ATS enabled (others
 * are skipped: a function without ATS caches nothing; a removed one is not there to send to).
 * Returns the state and one `AtsInvalidationSent` event per request, in function order.
 */
export const sendAtsInvalidations = (
  ctx: StepContext,
  state: State,
  targets: ReadonlyArray<AtsTarget>,
  itag: string,
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  const events: Array<Event> = []
  const functions = state.functions.map((fn) => {
    if (!fn.ats.enabled || fn.link === "removed") return fn
    let ats = fn.ats
    for (const t of targets)
      if (t.rid === fn.rid) {
        ats = atsReceiveInvalidation(ats, {
          pasid: t.pasid,
          iova: t.iova,
          ...(t.pages === undefined || t.pages === 1 ? {} : { pages: t.pages }),
          itag,
        })
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

/**
 * What a procedure's wait for ATS Invalidation Completions does when a device never answers:
 * `fence` (the IOMMU stops accepting the device's ATS traffic before the procedure goes on: its
 * context entry's Device-TLB enable / STE.EATS / DTE.I cleared, so no translated request of its
 * stale ATC is honoured; Linux marks a timed-out device and stops trusting its ATS) or
 * `treat-as-complete` (the procedure goes on as if the device had answered, its ATC still live).
 */
export type OnTimeout = "fence" | "treat-as-complete"

/** Schema of the `wait-atc` operation every procedure shares, as a scenario writes it. */
export const WaitAtcInput = opInput("wait-atc", {
  onTimeout: Schema.optionalKey(Schema.Literals(["fence", "treat-as-complete"])),
})

/** The `wait-atc` operation with its timeout behaviour (a bare one takes the knob's). */
export interface WaitAtcOp {
  readonly op: "wait-atc"
  readonly onTimeout: OnTimeout
}

/** A written `wait-atc` with the knob `atsInvalidationTimeout`'s behaviour when it names none. */
export const waitAtcOp = (written: typeof WaitAtcInput.Type, policy: PolicyValues): WaitAtcOp => ({
  op: "wait-atc",
  onTimeout:
    (opParams(written).onTimeout as OnTimeout | undefined) ??
    (policy.atsInvalidationTimeout === "treat-as-complete" ? "treat-as-complete" : "fence"),
})

/**
 * A procedure's wait for its ATS Invalidation Completions (tagged `itag`). Done when every one is
 * in. Otherwise, when every function that still owes one cannot answer (hung or removed), the
 * IOMMU's invalidation timeout fires (VT-d Invalidation Time-out Error, §6.5.2.10; SMMUv3
 * CMD_SYNC timeout with ATC_INV; AMD COMPLETION_WAIT timeout): the IOMMU forgets the requests and,
 * with `fence`, stops accepting those functions' ATS traffic (their context entries rewritten and
 * their context-cache entries invalidated, before the procedure goes on; a function with no reset
 * method stays fenced through later attachments, `atsFenced`); a device that answers within the time
 * the specs give it never meets the timeout, so it fires only for a device that cannot answer.
 * Returns the state and events to go on with, or why it still waits.
 */
export const awaitAtsCompletions = (
  state: State,
  itag: string,
  onTimeout: OnTimeout,
): { readonly state: State; readonly events: ReadonlyArray<Event> } | { readonly waiting: string } => {
  const owing = state.functions.filter((fn) => atsAwaiting(fn.ats, itag))
  if (owing.length === 0) return { state, events: [{ _tag: "AtsInvalidationWaitDone", pid: itag }] }
  if (owing.some((fn) => fn.link === "up"))
    return { waiting: `Invalidation Completion from ${owing.map((f) => f.rid).join(", ")}` }
  const rids = owing.map((f) => f.rid)
  const fence = onTimeout === "fence"
  const functions = state.functions.map((fn) =>
    rids.includes(fn.rid)
      ? {
          ...fn,
          ats: { ...fn.ats, invalidations: fn.ats.invalidations.filter((i) => i.itag !== itag) },
          ...(fence && fn.flr === false ? { atsFenced: true as const } : {}),
        }
      : fn,
  )
  const context = fence
    ? state.iommu.context.map((e) => (e.kind === "translated" && rids.includes(e.rid) ? { ...e, ats: false } : e))
    : state.iommu.context
  const cache = fence
    ? rids.reduce((c, rid) => invalidateContextCache(c, rid, "global").cache, state.iommu.cache)
    : state.iommu.cache
  return {
    state: { ...state, functions, iommu: { ...state.iommu, context, cache } },
    events: [{ _tag: "AtsInvalidationTimedOut", pid: itag, rids, fenced: fence }],
  }
}
