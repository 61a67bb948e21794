/**
 * Outcomes: what became of a command (DESIGN.md §2, "commands are total").
 *
 * - `Ok`: the command took effect.
 * - `Rejected`: its precondition does not hold (unknown ID, nothing to advance, page not owned);
 *   the state is unchanged.
 * - `Faulted`: the IOMMU blocked the request (no context entry, PTE not present); the state is
 *   unchanged but for what the fault itself records.
 * - `Waiting`: a procedure step that waits for something not yet there (an Invalidation
 *   Completion); the state is unchanged and the step can be retried.
 *
 * @module
 */

/** What became of one command. */
export type Outcome =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "Rejected"; readonly reason: string }
  | { readonly _tag: "Faulted"; readonly reason: string }
  | { readonly _tag: "Waiting"; readonly reason: string }

/** The outcome of a command that took effect. */
export const ok: Outcome = { _tag: "Ok" }

/** A rejected command with its reason. */
export const rejected = (reason: string): Outcome => ({ _tag: "Rejected", reason })

/** A request blocked by the IOMMU, with its reason. */
export const faulted = (reason: string): Outcome => ({ _tag: "Faulted", reason })

/** A step that must wait, with what it waits for. */
export const waiting = (reason: string): Outcome => ({ _tag: "Waiting", reason })

/** `"Ok"` or `"Rejected: reason"`. */
export const formatOutcome = (outcome: Outcome): string =>
  outcome._tag === "Ok" ? "Ok" : `${outcome._tag}: ${outcome.reason}`
