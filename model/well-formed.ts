/**
 * Well-formedness invariants of each component, checked after every step before any property
 * (STYLE.md §5). A broken invariant is a defect of the model, never a finding about a design.
 *
 * @module
 */
import { contextDid } from "./iommu/context.ts"
import { domainByDid } from "./iommu/iommu.ts"
import type { State } from "./state.ts"

const sortedStrictly = <T>(xs: ReadonlyArray<T>, cmp: (a: T, b: T) => number): boolean =>
  xs.every((x, i) => i === 0 || cmp(xs[i - 1] as T, x) < 0)

/** The first broken invariant of `state`, or `undefined` when every invariant holds. */
export const brokenInvariant = (state: State): string | undefined => {
  for (const fn of state.functions) {
    if (!sortedStrictly(fn.ats.atc, (a, b) => a.iova - b.iova)) return `${fn.rid}: ATC not keyed by IOVA`
    if (!fn.ats.enabled && (fn.ats.atc.length > 0 || fn.ats.invalidations.length > 0))
      return `${fn.rid}: ATS disabled but ATC or invalidations present`
    if (fn.owner === "host" && contextDid(state.iommu.context, fn.rid) !== undefined)
      return `${fn.rid}: host-owned but has a context entry`
    const did = contextDid(state.iommu.context, fn.rid)
    if (fn.owner !== "host" && (did === undefined || domainByDid(state.iommu, did)?.vm !== fn.owner))
      return `${fn.rid}: assigned to ${fn.owner} but its context entry is not ${fn.owner}'s domain`
    for (const e of fn.ats.atc) if (state.memory[e.page] === undefined) return `${fn.rid}: ATC names page ${e.page}`
  }
  if (!sortedStrictly(state.iommu.iotlb, (a, b) => a.did - b.did || a.iova - b.iova))
    return "IOTLB not keyed by (DID, IOVA)"
  for (const e of state.iommu.iotlb)
    if (domainByDid(state.iommu, e.did) === undefined) return `IOTLB names DID ${e.did}`
  for (const d of state.iommu.domains) {
    if (!sortedStrictly(d.ptes, (a, b) => a.iova - b.iova)) return `DID ${d.did}: PTEs not keyed by IOVA`
    for (const p of d.ptes)
      if (state.memory[p.page] !== d.vm) return `DID ${d.did} maps page ${p.page}, owned by ${state.memory[p.page]}`
  }
  for (const p of state.host.procedures) {
    if (p.pc < 0 || p.pc >= p.program.length) return `${p.pid}: pc ${p.pc} out of range`
    if (state.memory[p.page] !== p.vm) return `${p.pid}: page ${p.page} freed before the unmap finished`
  }
  return undefined
}
