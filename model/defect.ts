/**
 * A defect of the model itself: an impossible state reached by `step` (an unknown domain behind a
 * context entry, a broken well-formedness invariant). It is thrown inside the step's Effect, which
 * turns it into `Effect.die`; the drivers report it as a finding with its trace. A command whose
 * precondition does not hold is never a defect: it is a recorded no-op outcome.
 *
 * @module
 */
import { Data } from "effect"

/** Raised (as a defect, never as a typed error) when the model reaches a state it cannot be in. */
export class ModelDefect extends Data.TaggedError("ModelDefect")<{ readonly message: string }> {}

/** Throws a {@link ModelDefect} with the message; use only for states the model must never reach. */
export const defect = (message: string): never => {
  throw new ModelDefect({ message })
}
