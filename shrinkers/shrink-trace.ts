/**
 * iovcheck's shrinking after fast-check's (DESIGN.md §6): delta debugging to a 1-minimal trace,
 * then value simplification, then canonical renumbering, then delta debugging again (a merged ID
 * can make another command redundant). Pure; never longer than its input; the result still fails.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import type { IdDomains } from "./ids.ts"
import { type Fails, shrinkToOneMinimal } from "./one-minimal.ts"
import { renumberCanonically } from "./renumber.ts"
import { simplifyValues } from "./simplify-values.ts"

/** Shrinks a failing trace with every iovcheck shrinker in turn. */
export const shrinkTrace = (
  trace: ReadonlyArray<Command>,
  fails: Fails<Command>,
  domains: IdDomains,
): ReadonlyArray<Command> => {
  const minimal = shrinkToOneMinimal(trace, fails)
  const simple = renumberCanonically(simplifyValues(minimal, fails, domains), fails, domains)
  return shrinkToOneMinimal(simple, fails)
}
