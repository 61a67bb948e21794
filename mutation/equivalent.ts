/**
 * Equivalent mutants: mutants that cannot change anything the oracles observe, each with the reason.
 * They are listed in the report and left out of the kill rate. An entry names the mutant by id and
 * the text it replaces; when the code moves on and no generated mutant matches both, the report
 * lists the entry as stale (to review and remove).
 *
 * @module
 */

/** A mutant judged equivalent: its id, the original text it replaces, and why. */
export interface Equivalence {
  readonly id: string
  readonly original: string
  readonly reason: string
}

/** The equivalent mutants of `model/`. */
export const EQUIVALENT: ReadonlyArray<Equivalence> = []
