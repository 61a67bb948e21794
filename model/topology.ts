/**
 * Topology: the bounded world of a scenario (DESIGN.md §4): its VMs, PCIe functions, physical pages
 * with their initial owners, and the IOVAs the VMMs map. Tiny by design (STYLE.md §9).
 *
 * JSON shape:
 * ```json
 * { "vms": ["vm1", "vm2"],
 *   "functions": [ { "rid": "01:00.0", "kind": "pf", "ats": false },
 *                  { "rid": "01:00.1", "kind": "vf", "pf": "01:00.0", "ats": true } ],
 *   "pages": ["vm1", "vm2", "free"],
 *   "iovas": [4096, 8192] }
 * ```
 * `pages[i]` is the initial owner of HPA page i; `iovas` are byte addresses, 4 KiB aligned.
 *
 * @module
 */
import { Schema } from "effect"
import { Iova, PageOwner, Rid, VmId } from "./ids.ts"

/** One PCIe function of the topology; `ats` is its ATS Control Enable bit (PCIe Base 6.0 §10.5.1.3). */
export const FunctionSpec = Schema.Struct({
  rid: Rid,
  kind: Schema.Literals(["pf", "vf"]),
  pf: Schema.optionalKey(Rid),
  ats: Schema.Boolean,
})
/** One PCIe function of the topology. */
export type FunctionSpec = typeof FunctionSpec.Type

const distinct = (xs: ReadonlyArray<string | number>): boolean => new Set(xs).size === xs.length

/** Cross-field rules: distinct IDs, each VF names an existing PF, each page owner is known. */
const wellFormedTopology = (t: {
  readonly vms: ReadonlyArray<string>
  readonly functions: ReadonlyArray<FunctionSpec>
  readonly pages: ReadonlyArray<string>
  readonly iovas: ReadonlyArray<number>
}): true | string => {
  if (!distinct(t.vms)) return "VM ids must be distinct"
  if (!distinct(t.functions.map((f) => f.rid))) return "function RIDs must be distinct"
  if (!distinct(t.iovas)) return "IOVAs must be distinct"
  for (const f of t.functions) {
    if (f.kind === "vf" && !t.functions.some((p) => p.kind === "pf" && p.rid === f.pf))
      return `VF ${f.rid} must name an existing PF in "pf"`
    if (f.kind === "pf" && f.pf !== undefined) return `PF ${f.rid} must not have a "pf"`
  }
  for (const o of t.pages) if (o !== "free" && o !== "host" && !t.vms.includes(o)) return `page owner ${o} is not a VM`
  return true
}

/** Schema of a scenario's `topology`. */
export const Topology = Schema.Struct({
  vms: Schema.Array(VmId).check(Schema.isMinLength(1)),
  functions: Schema.Array(FunctionSpec),
  pages: Schema.Array(PageOwner),
  iovas: Schema.Array(Iova),
}).check(Schema.makeFilter(wellFormedTopology))
/** A scenario's topology. */
export type Topology = typeof Topology.Type
