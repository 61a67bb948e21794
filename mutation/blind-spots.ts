/**
 * Surviving mutants that have been diagnosed: which property or scenario should have caught each,
 * and why it does not. The report prints the diagnosis beside the survivor's diff; a survivor
 * without an entry is marked "not diagnosed". An entry is removed when the property or scenario
 * that closes the blind spot lands and the mutant is killed.
 *
 * @module
 */

/** A survivor's diagnosis: the property or scenario that should catch it, and what it misses. */
export interface BlindSpot {
  readonly id: string
  /** The property (or scenario) that should have caught the mutant. */
  readonly shouldCatch: string
  readonly diagnosis: string
}

/** The diagnosed survivors of `model/`. */
export const BLIND_SPOTS: ReadonlyArray<BlindSpot> = []
