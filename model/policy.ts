/**
 * Policy: the design knobs a scenario sets, provided to `step` as an Effect service. A knob changes
 * behaviour in `step` and only there; properties never read it (DESIGN.md §2–3).
 *
 * Knobs (each with its documented values; the first is the default):
 * - `invalidationOrder`: order of the unmap procedure's invalidations.
 *   `"iotlb-then-atc"`: IOTLB first, then device-TLB (ATC), then wait, as VT-d 4.x §6.5.2.5
 *   requires ("since translation requests from a device may be serviced by hardware from the
 *   IOTLB, software must always request IOTLB invalidation before requesting corresponding
 *   Device-TLB invalidation"); Linux `iommu_flush_iova` calls `flush_iotlb` then
 *   `iommu_flush_dev_iotlb`. `"atc-then-iotlb"`: device-TLB first,
 *   so the device can refill its ATC from the stale IOTLB in between.
 * - `atcInvalidation`: `"on"` sends an ATS Invalidate Request to every ATS-enabled function of the
 *   domain and waits for its completion; `"skip"` sends none (a driver that forgets the device-TLB).
 *
 * @module
 */
import { Context, Schema } from "effect"

/** Schema of the scenario's `policy` object; an absent knob takes its default, an unknown one is an error. */
export const PolicySchema = Schema.Struct({
  invalidationOrder: Schema.optionalKey(Schema.Literals(["iotlb-then-atc", "atc-then-iotlb"])),
  atcInvalidation: Schema.optionalKey(Schema.Literals(["on", "skip"])),
})

/** A scenario's `policy` object as written (knobs optional). */
export type PolicyInput = typeof PolicySchema.Type

/** Every knob with its value. */
export interface PolicyValues {
  readonly invalidationOrder: "iotlb-then-atc" | "atc-then-iotlb"
  readonly atcInvalidation: "on" | "skip"
}

/** The default of every knob: the design the specs prescribe. */
export const defaultPolicy: PolicyValues = {
  invalidationOrder: "iotlb-then-atc",
  atcInvalidation: "on",
}

/** Fills the absent knobs of a scenario's policy with their defaults. */
export const resolvePolicy = (input: PolicyInput): PolicyValues => ({ ...defaultPolicy, ...input })

/** The Policy service `step` reads its knobs from. */
export class Policy extends Context.Service<Policy, PolicyValues>()("iovcheck/model/Policy") {}
