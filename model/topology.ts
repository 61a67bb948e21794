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
 * Optional, for interrupts and sub-devices (seed threads 000 and 003):
 * - a function's `bme` (Bus Master Enable at start, default true), `msix` (MSI-X table entries,
 *   default 0) and `hostContext` (`"blocked"`, default, or `"pass-through"`: the host driver owns the
 *   function with an identity DMA domain, as with `iommu.passthrough=1`);
 * - `subdevices`: `[{ "id": "adi1", "kind": "adi" | "mdev", "parent": "01:00.0", "pasid": 1 }]`,
 *   ADIs of a Scalable IOV function or mdevs of a parent, sharing its RID; `pasid` is the PASID
 *   the sub-device tags its requests with (always for an ADI; for an mdev only when the policy
 *   tags mdevs); `ims` is the number of IMS entries (default 1 for an ADI, 0 for an mdev);
 * - `irtes`: size of the interrupt remapping table (default 4); `vectors`: vectors per owner that
 *   messages may name (default 1).
 *
 * Optional, for PASID/PRI (seed thread 002): a PF's `pasidPri` (it implements the PASID and PRI
 * capabilities, enabled by the host at boot; its VFs follow it); `pasids`: the PASID values
 * functions may bind (default none); `prgis`: page request group indexes a device may use
 * (default 1).
 *
 * Optional, for TDISP (seed thread 004): a function's `tdisp` (it has a TDI); `confidential`: the
 * confidential VMs, whose pages start private.
 *
 * Optional, for adversarial devices and messy topologies (issue "adversarial devices"):
 * - a function's `malicious` (ground truth the host does not know: the device is under an
 *   attacker's control and sends any TLP its link allows: requests with Bus Master Enable clear,
 *   with PASIDs and page requests its capability bits forbid, translated requests (AT=10b) for
 *   addresses it never got a Translation Completion for, and all of it while the host owns it);
 * - `untrusted` (what the host knows: Linux `pci_dev->untrusted`, a device behind an
 *   external-facing port as ACPI's `ExternalFacingPort` or the DMAR table's flag marks it);
 * - `requesterId`: the RID its requests carry when it is not its own: a conventional PCI device
 *   behind a PCIe-to-PCI(-X) bridge, whose requests the bridge takes ownership of (PCIe-to-PCI/PCI-X
 *   Bridge Spec 1.0 §2.3), or a device whose DMA uses a phantom or quirky function number (PCIe
 *   Base 6.0 §2.2.6.2; Linux `pci_add_dma_alias`); such a device does no ATS, PASID or TDISP here;
 * - `acs: false`: the function has no ACS Source Validation / P2P Request Redirect (PCIe Base 6.0
 *   §6.12): it and the other functions of its device (same bus and device number) can reach each
 *   other peer to peer without going through the IOMMU;
 * - `rmrr`: HPA pages a firmware reserved-memory region names for the device (VT-d RMRR §8.4, AMD
 *   IVMD, Arm IORT RMR): owned by the host, identity-mapped (IOVA = page × 4096, which must be one
 *   of `iovas`) wherever the platform keeps the device's unity map;
 * - `flr: false`: the function has no reset method Linux can use: no Function Level Reset
 *   (Device Capabilities' FLR Capable bit clear, PCIe Base 6.0 §7.5.3.3; or an FLR Linux's quirks
 *   turn off, `quirk_no_flr`) and no power-management, bus or device-specific reset, so
 *   `pci_reset_function` returns -ENOTTY: vfio's `reset_works` is false, its open and close skip
 *   the reset and `VFIO_DEVICE_RESET` fails. Many conventional devices have no FLR (Xen's
 *   "vt-d: Do FLR of assigned devices" notes most did not); VFs must support FLR (PCIe Base 6.0
 *   §9.2.2.3), so on a VF it is a device that breaks that rule. What the reset would have cleared (the ATC, unanswered
 *   ATS invalidations, page request groups, the MSI-X table, a locked TDI) stays.
 *
 * Optional, for nesting (seed thread 001): `nesting: { "tables": 1 }` gives every VM a nesting
 * parent (its domain), that many guest stage-1 tables and a virtual IOMMU; the stage-1 IOVAs and
 * the GPAs both range over `iovas`, and nested attachments may use PASID 0 (requests without
 * PASID) and the PASIDs of `pasids`, which the assigned functions may put on their requests.
 *
 * @module
 */
import { Schema } from "effect"
import { HpaPage, Iova, PAGE_SIZE, PageOwner, Rid, VmId } from "./ids.ts"

/** One PCIe function of the topology; `ats` is its ATS Control Enable bit (PCIe Base 6.0 §10.5.1.3). */
export const FunctionSpec = Schema.Struct({
  rid: Rid,
  kind: Schema.Literals(["pf", "vf"]),
  pf: Schema.optionalKey(Rid),
  ats: Schema.Boolean,
  bme: Schema.optionalKey(Schema.Boolean),
  msix: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  hostContext: Schema.optionalKey(Schema.Literals(["blocked", "pass-through"])),
  pasidPri: Schema.optionalKey(Schema.Boolean),
  tdisp: Schema.optionalKey(Schema.Boolean),
  malicious: Schema.optionalKey(Schema.Boolean),
  untrusted: Schema.optionalKey(Schema.Boolean),
  requesterId: Schema.optionalKey(Rid),
  acs: Schema.optionalKey(Schema.Boolean),
  rmrr: Schema.optionalKey(Schema.Array(HpaPage)),
  flr: Schema.optionalKey(Schema.Boolean),
})

/** An ADI or mdev of the topology. */
export const SubdeviceSpec = Schema.Struct({
  id: Schema.String.check(Schema.isPattern(/^(adi|mdev)[0-9]+$/, { message: "Expected an id like adi1 or mdev1" })),
  kind: Schema.Literals(["adi", "mdev"]),
  parent: Rid,
  pasid: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  ims: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
})
/** An ADI or mdev of the topology. */
export type SubdeviceSpec = typeof SubdeviceSpec.Type
/** One PCIe function of the topology. */
export type FunctionSpec = typeof FunctionSpec.Type

/**
 * Why a function's `requesterId` cannot be modelled, or `undefined`: an aliased function is a
 * conventional PCI device (or a quirky one) with no ATS, PASID/PRI, TDISP, VFs or sub-devices, and
 * the scenario has no nesting (a nested attachment would have to follow every alias).
 */
const requesterIdIssue = (
  t: {
    readonly functions: ReadonlyArray<FunctionSpec>
    readonly subdevices?: ReadonlyArray<SubdeviceSpec>
    readonly nesting?: unknown
  },
  f: FunctionSpec,
): string | undefined => {
  if (f.requesterId === undefined || f.requesterId === f.rid) return undefined
  if (f.kind !== "pf") return `VF ${f.rid} cannot have a requesterId: only a conventional device (a PF) is aliased`
  if (f.ats || f.pasidPri === true || f.tdisp === true)
    return `${f.rid} has a requesterId, so it is a conventional or aliased device: it cannot have ATS, PASID/PRI or TDISP`
  if (t.functions.some((v) => v.pf === f.rid) || (t.subdevices ?? []).some((d) => d.parent === f.rid))
    return `${f.rid} has a requesterId: it cannot have VFs or sub-devices`
  if (t.nesting !== undefined) return `${f.rid} has a requesterId: DMA aliases and nesting do not combine in the model`
  return undefined
}

const distinct = (xs: ReadonlyArray<string | number>): boolean => new Set(xs).size === xs.length

/**
 * Cross-field rules: a world to search (at least one function, page and IOVA: an empty one would
 * come out "safe" for want of anything to do), distinct IDs, each VF names an existing PF, each
 * page owner is known.
 */
const wellFormedTopology = (t: {
  readonly vms: ReadonlyArray<string>
  readonly functions: ReadonlyArray<FunctionSpec>
  readonly subdevices?: ReadonlyArray<SubdeviceSpec>
  readonly pages: ReadonlyArray<string>
  readonly iovas: ReadonlyArray<number>
  readonly pasids?: ReadonlyArray<number>
  readonly confidential?: ReadonlyArray<string>
  readonly nesting?: unknown
}): true | string | { readonly path: ReadonlyArray<string>; readonly issue: string } => {
  if (t.functions.length === 0)
    return { path: ["functions"], issue: "Expected at least one function: there is nothing to search without one" }
  if (t.pages.length === 0) return { path: ["pages"], issue: "Expected at least one page (the owner of HPA page 0)" }
  if (t.iovas.length === 0) return { path: ["iovas"], issue: "Expected at least one IOVA for the VMMs to map" }
  if (!distinct(t.pasids ?? [])) return { path: ["pasids"], issue: "PASIDs must be distinct" }
  if (!distinct(t.confidential ?? [])) return { path: ["confidential"], issue: "confidential VMs must be distinct" }
  if (!distinct(t.vms)) return "VM ids must be distinct"
  if (!distinct(t.functions.map((f) => f.rid))) return "function RIDs must be distinct"
  if (!distinct(t.iovas)) return "IOVAs must be distinct"
  for (const f of t.functions) {
    if (f.kind === "vf" && !t.functions.some((p) => p.kind === "pf" && p.rid === f.pf))
      return `VF ${f.rid} must name an existing PF in "pf"`
    if (f.kind === "pf" && f.pf !== undefined) return `PF ${f.rid} must not have a "pf"`
    if (f.kind === "vf" && f.pasidPri === true) return `VF ${f.rid} cannot implement PASID/PRI: only its PF does`
    const aliasIssue = requesterIdIssue(t, f)
    if (aliasIssue !== undefined) return { path: ["functions"], issue: aliasIssue }
    if (f.untrusted === true && f.hostContext === "pass-through")
      return `untrusted ${f.rid} cannot have a pass-through host context: Linux never gives an untrusted device an identity domain (iommu_get_def_domain_type)`
    for (const page of f.rmrr ?? []) {
      if (t.pages[page] !== "host") return `RMRR page ${page} of ${f.rid} must be a page the host owns`
      if (!t.iovas.includes(page * PAGE_SIZE))
        return `RMRR page ${page} of ${f.rid} is identity-mapped at IOVA 0x${(page * PAGE_SIZE).toString(16)}, which must be one of "iovas"`
    }
  }
  for (const o of t.pages) if (o !== "free" && o !== "host" && !t.vms.includes(o)) return `page owner ${o} is not a VM`
  for (const vm of t.confidential ?? []) if (!t.vms.includes(vm)) return `confidential VM ${vm} is not a VM`
  const subs = t.subdevices ?? []
  if (!distinct(subs.map((d) => d.id))) return "sub-device ids must be distinct"
  for (const d of subs) {
    if (!t.functions.some((f) => f.rid === d.parent)) return `sub-device ${d.id} must name an existing parent function`
    if (subs.some((e) => e !== d && e.parent === d.parent && e.pasid === d.pasid))
      return `sub-devices of ${d.parent} must have distinct PASIDs`
  }
  return true
}

/** Schema of a scenario's `topology`. */
export const Topology = Schema.Struct({
  vms: Schema.Array(VmId).check(Schema.isMinLength(1)),
  functions: Schema.Array(FunctionSpec),
  subdevices: Schema.optionalKey(Schema.Array(SubdeviceSpec)),
  pages: Schema.Array(PageOwner),
  iovas: Schema.Array(Iova),
  irtes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  pasids: Schema.optionalKey(Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))),
  prgis: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  confidential: Schema.optionalKey(Schema.Array(VmId)),
  vectors: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  nesting: Schema.optionalKey(Schema.Struct({ tables: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)) })),
}).check(Schema.makeFilter(wellFormedTopology))
/** A scenario's topology. */
export type Topology = typeof Topology.Type
