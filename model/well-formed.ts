/**
 * Well-formedness invariants of each component, checked after every step before any property
 * (STYLE.md §5). A broken invariant is a defect of the model, never a finding about a design.
 *
 * @module
 */
import { contextEntry } from "./iommu/context.ts"
import { domainByDid } from "./iommu/iommu.ts"
import { atcOrder } from "./pcie/ats.ts"
import { type Programs, programOf } from "./programs.ts"
import type { State } from "./state.ts"

const sortedStrictly = <T>(xs: ReadonlyArray<T>, cmp: (a: T, b: T) => number): boolean =>
  xs.every((x, i) => i === 0 || cmp(xs[i - 1] as T, x) < 0)

/**
 * Nesting: attachments belong to their function's VM, the combined IOTLB is keyed, and every
 * combined entry's page is one the tag's VMs can reach (a VM's page, or one being unmapped).
 */
const nestingInvariant = (state: State): string | undefined => {
  const n = state.nesting
  if (n === undefined) return undefined
  for (const a of n.attachments)
    if (state.functions.find((f) => f.rid === a.rid)?.owner !== a.vm)
      return `nested attachment ${a.rid}/${a.pasid} is ${a.vm}'s but the function is not`
  if (
    !sortedStrictly(n.iotlb, (a, b) => a.domainTag - b.domainTag || a.addressSpace - b.addressSpace || a.iova - b.iova)
  )
    return "combined IOTLB not keyed by (tag, address space, IOVA)"
  for (const e of n.iotlb) if (state.memory[e.page] === undefined) return `combined IOTLB names page ${e.page}`
  return undefined
}

/**
 * The first broken invariant of `state` (its procedures read against the scenario's `programs`), or
 * `undefined` when every invariant holds.
 */
export const brokenInvariant = (state: State, programs: Programs): string | undefined => {
  for (const fn of state.functions) {
    if (!sortedStrictly(fn.ats.atc, atcOrder)) return `${fn.rid}: ATC not keyed by (PASID, IOVA)`
    if (!fn.ats.enabled && (fn.ats.atc.length > 0 || fn.ats.invalidations.length > 0))
      return `${fn.rid}: ATS disabled but ATC or invalidations present`
    const entry = contextEntry(state.iommu.context, fn.rid)
    // Another function's DMA alias may be this RID (Linux maps every alias of the function it attaches).
    const aliased = state.functions.some((f) => f !== fn && f.requesterId === fn.rid)
    if (fn.owner === "host" && entry?.kind === "translated" && !aliased)
      return `${fn.rid}: host-owned but attached to a VM domain`
    if (fn.owner !== "host" && !aliased) {
      if (entry === undefined) return `${fn.rid}: assigned to ${fn.owner} but blocked`
      if (entry.kind === "translated" && domainByDid(state.iommu, entry.did)?.vm !== fn.owner)
        return `${fn.rid}: assigned to ${fn.owner} but its context entry is not ${fn.owner}'s domain`
    }
    for (const e of fn.ats.atc) if (state.memory[e.page] === undefined) return `${fn.rid}: ATC names page ${e.page}`
  }
  for (const e of state.iommu.pasids) {
    const d = domainByDid(state.iommu, e.did)
    if (d === undefined) return `PASID entry ${e.rid}/${e.pasid} names DID ${e.did}`
    const sub = state.subdevices.find((s) => s.parent === e.rid && s.pasid === e.pasid)
    if (sub !== undefined && sub.owner !== d.vm) return `PASID entry ${e.rid}/${e.pasid} is not its sub-device owner's`
  }
  if (!sortedStrictly(state.iommu.iotlb, (a, b) => a.did - b.did || a.iova - b.iova))
    return "IOTLB not keyed by (DID, IOVA)"
  const dids = state.iommu.domains.flatMap((d) => (d.did === undefined ? [] : [d.did]))
  if (new Set(dids).size !== dids.length) return `two domains hold one Domain-ID: ${dids.join(", ")}`
  if (dids.some((d) => d < 1 || d > state.iommu.domains.length))
    return `a Domain-ID outside the pool: ${dids.join(", ")}`
  for (const d of state.iommu.domains) {
    if (!sortedStrictly(d.ptes, (a, b) => a.iova - b.iova)) return `DID ${d.did}: PTEs not keyed by IOVA`
    for (const p of d.ptes)
      if (state.memory[p.page] !== (p.unity === true ? "host" : d.vm))
        return `DID ${d.did} maps page ${p.page}, owned by ${state.memory[p.page]}`
  }
  const nested = nestingInvariant(state)
  if (nested !== undefined) return nested
  if (!sortedStrictly(state.iommu.interrupts.iec, (a, b) => a.handle - b.handle)) return "IEC not keyed by handle"
  for (const p of state.host.procedures) {
    const length = programOf(programs, p).length
    if (p.pc < 0 || p.pc >= length) return `${p.pid}: pc ${p.pc} out of range`
    if (p._tag === "Unmap" && !p.pageFreed && p.granules.some((g) => state.memory[g.page] !== p.vm))
      return `${p.pid}: a page of the mapping freed before the unmap freed it`
    if (
      p._tag === "ProgramIrte" &&
      programs.irte.findIndex((o) => o.op === "write-irte") < p.pc &&
      state.iommu.interrupts.irt[p.handle] === null
    )
      return `${p.pid}: IRTE ${p.handle} cleared while being programmed`
  }
  return undefined
}
