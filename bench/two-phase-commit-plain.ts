/**
 * The fastest hand-written baseline for the explorer's figure: a plain breadth-first search of the
 * same TwoPhase model (`drivers/exhaustive/two-phase-commit.ts`) over packed integer states with a
 * native `Set<number>` and no fingerprinting, parent pointers or property machinery.
 *
 * @module
 */
import { twoPhaseCommit } from "../drivers/exhaustive/two-phase-commit.ts"

/** Distinct states of TwoPhase with `n` resource managers, by plain BFS. */
export const plainTwoPhaseBfs = (n: number): number => {
  const model = twoPhaseCommit(n)
  const seen = new Set<number>([model.initial])
  let frontier = [model.initial]
  while (frontier.length > 0) {
    const next: Array<number> = []
    for (const s of frontier)
      for (const a of model.enabled(s)) {
        const t = model.next(s, a).state as number
        if (!seen.has(t)) {
          seen.add(t)
          next.push(t)
        }
      }
    frontier = next
  }
  return seen.size
}
