/**
 * Nested translation state (seed thread 001; iommufd's nesting uAPI, Linux
 * `drivers/iommu/iommufd/hw_pagetable.c` and `viommu.c`). Present only in scenarios whose topology
 * has `nesting`.
 *
 * Per VM, the nesting parent is the VM's existing domain (stage-2, GPA -> HPA, owned by the host,
 * edited by `HostMapIova`/`HostUnmapIova`: the IOVA of that domain is the GPA). On top of it:
 * - guest stage-1 tables (IOVA -> GPA), in guest memory, which the guest edits without a trap
 *   (VT-d 4.x §3.8 first-stage tables, AMD IOMMU §2.2.6 guest page tables, SMMUv3 §3.3 stage 1);
 * - nested attachments: a (pRID, PASID) whose walk starts at a guest-owned structure (a VT-d
 *   scalable-mode PASID entry, an AMD GCR3 table, an SMMUv3 CD table) naming one stage-1 table,
 *   with the hardware cache tag the hypervisor computed for it (`vendor-nesting.ts`);
 * - the combined IOTLB entries (IOVA -> HPA) tagged by that hardware tag;
 * - iommufd's per-VM virtual IOMMU: its vRID -> pRID table (`IOMMU_VDEVICE_ALLOC`) and, for AMD,
 *   the vDomain-ID -> pDomain-ID map.
 *
 * PASID 0 of an attachment stands for requests without PASID (VT-d RID_PASID, SMMUv3 SSID 0 with
 * S1DSS, AMD GCR3 entry 0). The walk of the stage-1 tables themselves (their pointers are GPAs) is
 * not modelled: a table is named by its number.
 *
 * @module
 */
import type { HpaPage, Iova, Rid, VmId } from "../ids.ts"
import type { PasidFlags } from "../iommu/pasid-table.ts"
import { byRidPasid, compareText, putByKey } from "../keyed.ts"

/** A present stage-1 PTE of a guest table: IOVA (bytes) -> GPA (bytes), both 4 KiB aligned. */
export interface Stage1Pte {
  readonly iova: Iova
  readonly gpa: Iova
}

/** A guest stage-1 I/O page table, numbered 1… per VM; PTEs sorted by IOVA. */
export interface Stage1Table {
  readonly vm: VmId
  readonly table: number
  readonly ptes: ReadonlyArray<Stage1Pte>
}

/**
 * A nested attachment of (`rid`, `pasid`): the guest's `vrid`/`pasid` entry names stage-1 `table`
 * under the guest's virtual tag `vtag` (vDID on VT-d, vDomain-ID on AMD-Vi, ASID on SMMUv3); the
 * hardware tags its IOTLB entries with (`domainTag`, `addressSpace`): (DID, PASID) on VT-d,
 * (DomainID, PASID) on AMD-Vi, (VMID, ASID) on SMMUv3. For a PASID other than 0 the attachment is
 * that PASID's entry in the IOMMU and carries the entry's flags (Enable, Execute Requests,
 * Supervisor Requests, page requests), which the host programs from vfio's virtual PASID/PRI
 * capability as for a flat PASID entry (`host/vfio-pasid-cap.ts`); PASID 0 lets everything through.
 */
export interface NestedAttachment extends PasidFlags {
  readonly rid: Rid
  readonly pasid: number
  readonly vm: VmId
  readonly vrid: Rid
  readonly table: number
  readonly vtag: number
  readonly domainTag: number
  readonly addressSpace: number
}

/** A combined (stage-1 + stage-2) IOTLB entry: IOVA -> HPA page under a hardware tag. */
export interface NestedIotlbEntry {
  readonly domainTag: number
  readonly addressSpace: number
  readonly iova: Iova
  readonly page: HpaPage
}

/** One row of a virtual IOMMU's vRID -> pRID table. */
export interface VridEntry {
  readonly vrid: Rid
  readonly rid: Rid
}

/** iommufd's virtual IOMMU of one VM: its vRID -> pRID table, sorted by vRID. */
export interface VirtualIommu {
  readonly vm: VmId
  readonly vrids: ReadonlyArray<VridEntry>
}

/** One vDomain-ID -> pDomain-ID mapping (AMD-Vi), made by the VM that first used the vDomain-ID. */
export interface DomainIdMapping {
  readonly vm: VmId
  readonly vDomainId: number
  readonly pDomainId: number
}

/** The nested translation state. Every array is sorted by its key. */
export interface Nesting {
  /** Stage-1 tables per VM, numbered 1 … `tablesPerVm`; sorted by (VM, table). */
  readonly tables: ReadonlyArray<Stage1Table>
  /** Sorted by (RID, PASID); at most one per key. */
  readonly attachments: ReadonlyArray<NestedAttachment>
  /** Sorted by (domainTag, addressSpace, IOVA); at most one per key. */
  readonly iotlb: ReadonlyArray<NestedIotlbEntry>
  /** One per VM, sorted by VM. */
  readonly viommus: ReadonlyArray<VirtualIommu>
  /** Sorted by (VM, vDomain-ID). */
  readonly domainIds: ReadonlyArray<DomainIdMapping>
}

/** The empty nesting state of `vms` with `tablesPerVm` empty stage-1 tables each. */
export const initialNesting = (vms: ReadonlyArray<VmId>, tablesPerVm: number): Nesting => ({
  tables: [...vms]
    .sort()
    .flatMap((vm) => Array.from({ length: tablesPerVm }, (_, i) => ({ vm, table: i + 1, ptes: [] }))),
  attachments: [],
  iotlb: [],
  viommus: [...vms].sort().map((vm) => ({ vm, vrids: [] })),
  domainIds: [],
})

/** The stage-1 table `table` of `vm`, if it exists. */
export const stage1Table = (n: Nesting, vm: VmId, table: number): Stage1Table | undefined =>
  n.tables.find((t) => t.vm === vm && t.table === table)

/** The stage-1 walk: the GPA `iova` maps to in the table, or `undefined` when not present. */
export const stage1Walk = (t: Stage1Table | undefined, iova: Iova): Iova | undefined =>
  t?.ptes.find((p) => p.iova === iova)?.gpa

/** Replaces a stage-1 table (same VM and number). */
export const putStage1Table = (n: Nesting, t: Stage1Table): Nesting => ({
  ...n,
  tables: n.tables.map((x) => (x.vm === t.vm && x.table === t.table ? t : x)),
})

/** The attachment of (`rid`, `pasid`), if any. */
export const attachmentOf = (n: Nesting, rid: Rid, pasid: number): NestedAttachment | undefined =>
  n.attachments.find((a) => a.rid === rid && a.pasid === pasid)

/** Adds an attachment, keeping the (RID, PASID) order. */
export const addAttachment = (n: Nesting, a: NestedAttachment): Nesting => ({
  ...n,
  attachments: putByKey(n.attachments, a, byRidPasid),
})

/** Removes the attachments `drop` selects. */
export const removeAttachments = (n: Nesting, drop: (a: NestedAttachment) => boolean): Nesting => ({
  ...n,
  attachments: n.attachments.filter((a) => !drop(a)),
})

/** The combined IOTLB entry of (`domainTag`, `addressSpace`, `iova`), if cached. */
export const nestedIotlbLookup = (
  n: Nesting,
  domainTag: number,
  addressSpace: number,
  iova: Iova,
): NestedIotlbEntry | undefined =>
  n.iotlb.find((e) => e.domainTag === domainTag && e.addressSpace === addressSpace && e.iova === iova)

const iotlbOrder = (a: NestedIotlbEntry, b: NestedIotlbEntry): number =>
  a.domainTag - b.domainTag || a.addressSpace - b.addressSpace || a.iova - b.iova

/** Caches a combined translation (a walk through both stages returned it). */
export const nestedIotlbFill = (n: Nesting, e: NestedIotlbEntry): Nesting => ({
  ...n,
  iotlb: [
    ...n.iotlb.filter((x) => x.domainTag !== e.domainTag || x.addressSpace !== e.addressSpace || x.iova !== e.iova),
    e,
  ].sort(iotlbOrder),
})

/** A hardware cache tag: (DID, PASID), (DomainID, PASID) or (VMID, ASID). */
export interface HardwareTag {
  readonly domainTag: number
  readonly addressSpace: number
}

/**
 * Drops the combined IOTLB entries of `tag` (all of its IOVAs when `iova` is undefined). Returns
 * the new state and the entries dropped.
 */
export const nestedIotlbInvalidate = (
  n: Nesting,
  tag: HardwareTag,
  iova: Iova | undefined,
): { readonly nesting: Nesting; readonly dropped: ReadonlyArray<NestedIotlbEntry> } => {
  const hit = (e: NestedIotlbEntry) =>
    e.domainTag === tag.domainTag && e.addressSpace === tag.addressSpace && (iova === undefined || e.iova === iova)
  const dropped = n.iotlb.filter(hit)
  return dropped.length === 0
    ? { nesting: n, dropped }
    : { nesting: { ...n, iotlb: n.iotlb.filter((e) => !hit(e)) }, dropped }
}

/** The virtual IOMMU of `vm`. */
export const viommuOf = (n: Nesting, vm: VmId): VirtualIommu | undefined => n.viommus.find((v) => v.vm === vm)

/** The pRID `vrid` names in `vm`'s virtual IOMMU, if any. */
export const pridOf = (n: Nesting, vm: VmId, vrid: Rid): Rid | undefined =>
  viommuOf(n, vm)?.vrids.find((e) => e.vrid === vrid)?.rid

/** The vRID `vm`'s virtual IOMMU gives `rid`, if any. */
export const vridOf = (n: Nesting, vm: VmId, rid: Rid): Rid | undefined =>
  viommuOf(n, vm)?.vrids.find((e) => e.rid === rid)?.vrid

/** Replaces `vm`'s vRID table. */
export const putVrids = (n: Nesting, vm: VmId, vrids: ReadonlyArray<VridEntry>): Nesting => ({
  ...n,
  viommus: n.viommus.map((v) =>
    v.vm === vm ? { vm, vrids: [...vrids].sort((a, b) => compareText(a.vrid, b.vrid)) } : v,
  ),
})

/** The tag of an attachment. */
export const tagOf = (a: NestedAttachment): HardwareTag => ({ domainTag: a.domainTag, addressSpace: a.addressSpace })

/** The tags with duplicates removed, first occurrence kept. */
export const distinctTags = (tags: ReadonlyArray<HardwareTag>): ReadonlyArray<HardwareTag> =>
  tags.filter((t, i) => tags.findIndex((u) => u.domainTag === t.domainTag && u.addressSpace === t.addressSpace) === i)
