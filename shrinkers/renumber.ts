/**
 * Canonical renumbering: rename the IDs of each kind so that the first one the trace names is the
 * smallest of its kind, the second the next, and so on (a permutation of the kind's domain), when
 * the violation survives the renaming. Two traces of the same bug that differ only by which
 * interchangeable VM, VF or IOVA they use then look the same. Tries every kind at once, then each
 * kind alone. Pure; never longer; still fails; a bounded number of calls of `fails`.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import { ID_KINDS, type IdDomains, idsOf, substitute } from "./ids.ts"
import type { Fails } from "./one-minimal.ts"

/** The permutation of `domain` sending `used` (in order) to the smallest values. */
const canonicalPermutation = (
  used: ReadonlyArray<string | number>,
  domain: ReadonlyArray<string | number>,
): Map<string | number, string | number> => {
  const targets = domain.slice(0, used.length)
  const mapping = new Map<string | number, string | number>(used.map((u, i) => [u, targets[i] as string | number]))
  const freed = used.filter((u) => !targets.includes(u))
  const displaced = targets.filter((t) => !used.includes(t))
  displaced.forEach((d, i) => {
    mapping.set(d, freed[i] as string | number)
  })
  for (const [from, to] of mapping) if (from === to) mapping.delete(from)
  return mapping
}

/** Renumbers the IDs of a failing trace canonically (see the module doc). */
export const renumberCanonically = (
  trace: ReadonlyArray<Command>,
  fails: Fails<Command>,
  domains: IdDomains,
): ReadonlyArray<Command> => {
  // All kinds at once first: interchangeable VMs usually come with their own pages, so renaming
  // a VM alone breaks the trace where renaming the VM with its pages does not.
  const jointly = ID_KINDS.reduce(
    (t, kind) => substitute(t, kind, canonicalPermutation(idsOf(t, kind, domains[kind]), domains[kind])),
    trace,
  )
  const joint = fails(jointly)
  let current = joint !== undefined && joint.length <= trace.length ? joint : trace
  for (const kind of ID_KINDS) {
    const domain = domains[kind]
    const mapping = canonicalPermutation(idsOf(current, kind, domain), domain)
    if (mapping.size === 0) continue
    const candidate = fails(substitute(current, kind, mapping))
    if (candidate !== undefined && candidate.length <= current.length) current = candidate
  }
  return current
}
