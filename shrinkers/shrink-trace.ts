/**
 * iovcheck's shrinking of a found trace (DESIGN.md §6): delta debugging to a 1-minimal trace;
 * then, when a scenario and property are given, a breadth-first search over the trace's own
 * command kinds for a shorter one; then value simplification, canonical renumbering, and delta
 * debugging again (a merged ID can make another command redundant). Pure; never longer than its
 * input; the result still fails.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import type { Property } from "../properties/property.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import type { IdDomains } from "./ids.ts"
import { type Fails, shrinkToOneMinimal } from "./one-minimal.ts"
import { renumberCanonically } from "./renumber.ts"
import { shortenByRestrictedBfs } from "./restricted-bfs.ts"
import { simplifyValues } from "./simplify-values.ts"

/** Shrinks a failing trace with every iovcheck shrinker in turn. */
export const shrinkTrace = (
  trace: ReadonlyArray<Command>,
  fails: Fails<Command>,
  domains: IdDomains,
  search?: { readonly scenario: Scenario; readonly property: Property },
): ReadonlyArray<Command> => {
  const minimal = shrinkToOneMinimal(trace, fails)
  const shortest =
    search === undefined
      ? minimal
      : (fails(shortenByRestrictedBfs(minimal, search.scenario, search.property)) ?? minimal)
  const simple = renumberCanonically(simplifyValues(shortest, fails, domains), fails, domains)
  return shrinkToOneMinimal(simple, fails)
}
