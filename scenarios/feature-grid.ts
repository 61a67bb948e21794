/**
 * The feature grid of the combination sweep (issue "one platform"): scenarios that mix what the
 * catalogue keeps apart, all under the default policy (the design the specs prescribe), all
 * expected safe. A violation in one of them is a model bug, or a genuine hazard of the combination
 * whose mitigation then becomes a policy knob; never a reason to weaken a property.
 *
 * Factors (a row picks one level of each):
 * - feature factors: `vendor` (vtd, amd-vi, smmuv3), `vms` (1, 2), `ats` (the VFs have ATS
 *   enabled), `msix` (each VF has one MSI-X entry), `pasidPri` (the PF implements PASID/PRI, its
 *   VFs follow it), `tdisp` (each VF is a TDI; needs a confidential VM), `adis` (the PF is a
 *   Scalable IOV device with two ADIs), `mdevs` (a second PF mediates two mdevs), `nesting`
 *   (iommufd nesting), `cvm` (vm1 is a confidential VM), `malicious` (the last VF is malicious, and
 *   the host marks it untrusted, as a device behind an external-facing port), `messy` (`none`;
 *   `bridge`: two conventional PCI devices behind a PCIe-to-PCI bridge, their DMA aliased to its
 *   RID 03:00.0; `no-acs`: a two-function device 04:00.0/04:00.1 without ACS; `rmrr`: VF 01:00.1
 *   has a firmware RMRR on the host's page 2, identity-mapped at IOVA 0x2000);
 * - count factors: `vfs` (1, 2), `pages` (2, 3 HPA pages), `iovas` (1, 2), `tables` (stage-1
 *   tables per VM under nesting: 1, 2), `pasids` (1, 2 PASID values). Single-IOVA, single-table,
 *   single-PASID worlds hide every bug of range, address-space and PASID matching, so the counts
 *   vary too.
 *
 * Constraints: a TDI needs a confidential VM; `tables` and `pasids` only vary where they mean
 * something (nesting; PASID/PRI, ADIs or nesting); `rmrr` needs three pages and two IOVAs (its page
 * is the third, the host's instead of a free one); `bridge` devices do not combine with nesting
 * (the model does not nest aliased functions).
 *
 * Topology of a row: PF 01:00.0 (PASID/PRI when `pasidPri`; the ADIs' parent, with ATS when `ats`, when `adis`) with
 * VFs 01:00.1… (ATS, MSI-X, TDI as the row says); PF 02:00.0 with mdev1 and mdev2 when `mdevs`
 * (the host drives it with an identity domain and Bus Master Enable clear, as the catalogue's
 * `mdev-bme-off`); pages: vm1's, then vm2's (vm1's again with one VM), then a free one; IOVAs
 * 0x1000 and 0x2000 (a confidential VM's shared pages are mapped at their GPA); PASIDs 1, 2; two
 * IRTEs.
 *
 * @module
 */
import type { Factor, Row } from "../drivers/sweep/pairwise.ts"
import type { VendorId } from "../model/vendor.ts"
import type { Scenario } from "./scenario.ts"

/** The factors, feature factors first; `GRID_FEATURES` of them are features, the rest counts. */
export const GRID_FACTORS: ReadonlyArray<Factor> = [
  { name: "vendor", levels: ["vtd", "amd-vi", "smmuv3"] },
  { name: "vms", levels: [1, 2] },
  { name: "ats", levels: [false, true] },
  { name: "msix", levels: [false, true] },
  { name: "pasidPri", levels: [false, true] },
  { name: "tdisp", levels: [false, true] },
  { name: "adis", levels: [false, true] },
  { name: "mdevs", levels: [false, true] },
  { name: "nesting", levels: [false, true] },
  { name: "cvm", levels: [false, true] },
  { name: "malicious", levels: [false, true] },
  { name: "messy", levels: ["none", "bridge", "no-acs", "rmrr"] },
  { name: "vfs", levels: [1, 2] },
  { name: "pages", levels: [2, 3] },
  { name: "iovas", levels: [1, 2] },
  { name: "tables", levels: [1, 2] },
  { name: "pasids", levels: [1, 2] },
]

/** How many of `GRID_FACTORS` are feature factors (the rest are counts). */
export const GRID_FEATURES = 12

/** A row decoded into named levels. */
export interface GridPoint {
  readonly vendor: VendorId
  readonly vms: number
  readonly ats: boolean
  readonly msix: boolean
  readonly pasidPri: boolean
  readonly tdisp: boolean
  readonly adis: boolean
  readonly mdevs: boolean
  readonly nesting: boolean
  readonly cvm: boolean
  readonly malicious: boolean
  readonly messy: "none" | "bridge" | "no-acs" | "rmrr"
  readonly vfs: number
  readonly pages: number
  readonly iovas: number
  readonly tables: number
  readonly pasids: number
}

/** The named levels of a row. */
export const pointOf = (row: Row): GridPoint =>
  Object.fromEntries(GRID_FACTORS.map((f, i) => [f.name, f.levels[row[i] as number]])) as unknown as GridPoint

/** Whether a row is a meaningful scenario (see the module doc's constraints). */
export const validRow = (row: Row): boolean => {
  const p = pointOf(row)
  if (p.tdisp && !p.cvm) return false
  if (!p.nesting && p.tables !== 1) return false
  if (!(p.pasidPri || p.adis || p.nesting) && p.pasids !== 1) return false
  if (p.messy === "rmrr" && (p.pages !== 3 || p.iovas !== 2)) return false
  if (p.messy === "bridge" && p.nesting) return false
  return true
}

const flag = (on: boolean, name: string): ReadonlyArray<string> => (on ? [name] : [])

/** The sweep id of a row: `sweep-vtd-2vm-ats-msix-…-v2p3i2t1a1`. */
export const gridId = (p: GridPoint): string =>
  [
    "sweep",
    p.vendor,
    `${p.vms}vm`,
    ...flag(p.ats, "ats"),
    ...flag(p.msix, "msix"),
    ...flag(p.pasidPri, "pasid"),
    ...flag(p.tdisp, "tdisp"),
    ...flag(p.adis, "adi"),
    ...flag(p.mdevs, "mdev"),
    ...flag(p.nesting, "nested"),
    ...flag(p.cvm, "cvm"),
    ...flag(p.malicious, "malicious"),
    ...(p.messy === "none" ? [] : [p.messy]),
    `v${p.vfs}p${p.pages}i${p.iovas}t${p.tables}a${p.pasids}`,
  ].join("-")

/** The scenario of a grid point: its topology under the default policy, expected safe. */
export const gridScenario = (p: GridPoint): Scenario => {
  const vms = p.vms === 2 ? ["vm1", "vm2"] : ["vm1"]
  const vfs = Array.from({ length: p.vfs }, (_, i) => ({
    rid: `01:00.${i + 1}`,
    kind: "vf" as const,
    pf: "01:00.0",
    ats: p.ats,
    ...(p.msix ? { msix: 1 } : {}),
    ...(p.tdisp ? { tdisp: true } : {}),
    ...(p.malicious && i === p.vfs - 1 ? { malicious: true, untrusted: true } : {}),
    ...(p.messy === "rmrr" && i === 0 ? { rmrr: [2] } : {}),
  }))
  const functions = [
    { rid: "01:00.0", kind: "pf" as const, ats: p.adis && p.ats, ...(p.pasidPri ? { pasidPri: true } : {}) },
    ...vfs,
    ...(p.mdevs
      ? [{ rid: "02:00.0", kind: "pf" as const, ats: false, bme: false, hostContext: "pass-through" as const }]
      : []),
    ...(p.messy === "bridge"
      ? ["03:01.0", "03:02.0"].map((rid) => ({ rid, kind: "pf" as const, ats: false, requesterId: "03:00.0" }))
      : []),
    ...(p.messy === "no-acs"
      ? ["04:00.0", "04:00.1"].map((rid) => ({ rid, kind: "pf" as const, ats: false, acs: false }))
      : []),
  ]
  const subdevices = [
    ...(p.adis
      ? [
          { id: "adi1", kind: "adi" as const, parent: "01:00.0", pasid: 1 },
          { id: "adi2", kind: "adi" as const, parent: "01:00.0", pasid: 2 },
        ]
      : []),
    ...(p.mdevs
      ? [
          { id: "mdev1", kind: "mdev" as const, parent: "02:00.0", pasid: 3 },
          { id: "mdev2", kind: "mdev" as const, parent: "02:00.0", pasid: 4 },
        ]
      : []),
  ]
  const owners = ["vm1", vms[1] ?? "vm1", p.messy === "rmrr" ? "host" : "free"].slice(0, p.pages)
  const usesPasids = p.pasidPri || p.adis || p.nesting
  return {
    id: gridId(p),
    title: `Combination sweep: ${gridId(p)}`,
    source: "Generated by the combination sweep (drivers/sweep) under the default policy",
    vendor: p.vendor,
    topology: {
      vms,
      functions,
      ...(subdevices.length > 0 ? { subdevices } : {}),
      pages: owners,
      iovas: [4096, 8192].slice(0, p.iovas),
      irtes: 2,
      ...(usesPasids ? { pasids: [1, 2].slice(0, p.pasids) } : {}),
      ...(p.cvm ? { confidential: ["vm1"] } : {}),
      ...(p.nesting ? { nesting: { tables: p.tables } } : {}),
    },
    policy: {},
    expected: "safe",
  }
}
