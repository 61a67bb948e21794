/**
 * `entry-cache-coherence`: the IOMMU's structure caches refine its tables. Outside a procedure in
 * flight that changes the entry, every cached per-RID entry (VT-d context-cache, AMD-Vi DTE cache,
 * SMMUv3 STE cache), every cached per-(RID, PASID) entry (VT-d PASID-cache, SMMUv3 CD cache) and
 * every interrupt entry cache (IEC) entry equals the entry in its table: once a procedure that
 * changed an entry has ended, no request meets the old entry.
 *
 * The windows (`invalidation-in-flight.ts`): a release of the function (its context and PASID
 * entries), a PASID teardown or capability update (its PASID entries), an IRTE programming of the
 * handle (its IRTE). VT-d 4.x §6.5.1 (context-cache), §6.5.2.3 (PASID-cache), §6.5.2.7 (IEC:
 * "software must invalidate the interrupt entry cache after modifying an IRTE"); AMD IOMMU
 * INVALIDATE_DEVTAB_ENTRY, INVALIDATE_INTERRUPT_TABLE; SMMUv3 §4.3 (CMD_CFGI_STE/CD: "software
 * must ... after altering a structure").
 *
 * @module
 */
import type { ContextEntry } from "../model/iommu/context.ts"
import type { PasidEntry } from "../model/iommu/pasid-table.ts"
import { entryChangeInFlight, irteChangeInFlight } from "./invalidation-in-flight.ts"
import type { Property } from "./property.ts"

const showContext = (e: ContextEntry | undefined): string =>
  e === undefined
    ? "none"
    : e.kind === "pass-through"
      ? "pass-through"
      : e.kind === "pasid-only"
        ? `PASID table only${e.ats ? " with ATS" : ""}`
        : `DID ${e.did}${e.ats ? " with ATS" : ""}`

const showPasid = (e: PasidEntry | undefined): string =>
  e === undefined
    ? "none"
    : `DID ${e.did}${e.enabled ? "" : " disabled"}${e.exec ? " exec" : ""}${e.priv ? " priv" : ""}${e.pri ? " pri" : ""}`

const same = (a: object | undefined, b: object | undefined): boolean => JSON.stringify(a) === JSON.stringify(b)

/** The `entry-cache-coherence` property. */
export const entryCacheCoherence: Property = {
  id: "entry-cache-coherence",
  statement:
    "Outside a procedure in flight that changes it, every cached context, PASID and interrupt remapping entry equals the entry in its table.",
  kind: "coherence",
  citation: "VT-d 4.x §6.5.1, §6.5.2.3, §6.5.2.7; AMD IOMMU INVALIDATE_DEVTAB_ENTRY; SMMUv3 §4.3 CMD_CFGI_STE/CD",
  scope: "state",
  check: ({ after, vendor }) => {
    const iommu = after.iommu
    for (const c of iommu.cache.context) {
      const t = iommu.context.find((e) => e.rid === c.rid)
      if (same(c, t) || entryChangeInFlight(after, c.rid, undefined)) continue
      return `${vendor.contextCacheName} still holds ${c.rid}'s entry (${showContext(c)}) but the table's is ${showContext(t)}, and no procedure changing it is in flight`
    }
    for (const c of iommu.cache.pasid) {
      const t = iommu.pasids.find((e) => e.rid === c.rid && e.pasid === c.pasid)
      if (same(c, t) || entryChangeInFlight(after, c.rid, c.pasid)) continue
      return `${vendor.pasidCacheName} still holds ${c.rid} PASID ${c.pasid}'s entry (${showPasid(c)}) but the table's is ${showPasid(t)}, and no procedure changing it is in flight`
    }
    for (const c of iommu.interrupts.iec) {
      const t = iommu.interrupts.irt[c.handle] ?? undefined
      if (same(c.irte, t) || irteChangeInFlight(after, c.handle)) continue
      return `the interrupt entry cache still holds IRTE ${c.handle} (dest ${c.irte.dest}, SID ${c.irte.sid}) but the table's is ${t === undefined ? "not present" : `dest ${t.dest}, SID ${t.sid}`}, and no IRTE programming of it is in flight`
    }
    return undefined
  },
}
