/**
 * Value simplification: replace an ID the trace names by a smaller ID of the same kind (a smaller
 * VM, RID, page or IOVA from the scenario's topology) wherever the violation survives, merging IDs
 * when it can (two VMs into one, two pages into one). Pure: the caller's `fails` runs the model.
 * The result is never longer than the input and still fails; it terminates because every accepted
 * change makes the multiset of (kind, value) strictly smaller in a well-founded order.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import { ID_KINDS, type IdDomains, idsOf, substitute } from "./ids.ts"
import type { Fails } from "./one-minimal.ts"

const rank = (domain: ReadonlyArray<string | number>, v: string | number): number => domain.indexOf(v)

/** Simplifies the IDs of a failing trace (see the module doc). */
export const simplifyValues = (
  trace: ReadonlyArray<Command>,
  fails: Fails<Command>,
  domains: IdDomains,
): ReadonlyArray<Command> => {
  let current = trace
  for (const kind of ID_KINDS) {
    const domain = domains[kind]
    let changed = true
    while (changed) {
      changed = false
      const used = [...idsOf(current, kind, domain)].sort((a, b) => rank(domain, b) - rank(domain, a))
      search: for (const v of used) {
        for (const smaller of domain.slice(0, Math.max(0, rank(domain, v)))) {
          const candidate = fails(substitute(current, kind, new Map([[v, smaller]])))
          if (candidate !== undefined && candidate.length <= current.length) {
            current = candidate
            changed = true
            break search
          }
        }
      }
    }
  }
  return current
}
