/**
 * How each IOMMU architecture tags, invalidates and answers for nested translations, as seed
 * thread 001 (Jason Gunthorpe, "iommufd: Add nesting infrastructure", 2023-12-09) tabulates it.
 * The `Vendor` service carries one `NestingSemantics` per architecture.
 *
 * | | VT-d 4.x | AMD IOMMU 3.x | SMMUv3.3 |
 * |---|---|---|---|
 * | walk starts at | scalable-mode PASID entry (RID, PASID), §9.6 | GCR3 table indexed by RID, §2.2.6 | CD table indexed by RID (StreamID), §5.4 |
 * | hardware tag | (DID, PASID), DID chosen by the hypervisor per nested domain | (DomainID, PASID), DomainID per RID | (VMID, ASID), VMID of the nesting parent, ASID from the guest's CD |
 * | guest's IOTLB key | (vDID, PASID), §6.5.2.6 | (vDomain-ID, PASID), INVALIDATE_IOMMU_PAGES GN=1, §2.4.3 | ASID, CMD_TLBI_NH_VA, §4.4.2 |
 * | iommufd target | the nested domain: invalidate whatever it is attached to | vDomain-ID replaced by pDomain-ID | the nesting parent: VMID forced |
 * | ATC invalidation | synthesized by the hypervisor (it knows the RIDs) | forwarded with vRID -> pRID ((vDomain-ID, PASID) may name several GCR3 tables) | forwarded with vSID -> pSID (the ASID names no CD table) |
 *
 * The guest's virtual tag: the guest's driver gives each stage-1 table (its domain) one tag: the
 * vDID and the ASID are the table's number; on AMD-Vi the vDomain-ID is per RID (the DTE's
 * DomainID), so a vRID keeps the vDomain-ID of its first attachment. A sane guest never names two
 * tables with one (virtual tag, PASID): `guestTagConflict` refuses that.
 *
 * @module
 */
import type { Rid, VmId } from "../ids.ts"
import type { Domain } from "../iommu/domain.ts"
import type { PolicyValues } from "../policy.ts"
import { distinctTags, type HardwareTag, type NestedAttachment, type Nesting } from "./nesting.ts"

/** What the nesting functions read: the policy, the nesting state and the stage-2 domains. */
export interface NestingContext {
  readonly policy: PolicyValues
  readonly nesting: Nesting
  /** The nesting parents (stage-2 domains), one per VM. */
  readonly domains: ReadonlyArray<Domain>
}

/** A guest IOTLB invalidation key: the virtual tag and the PASID (ignored by SMMUv3, whose key is the ASID). */
export interface GuestIotlbKey {
  readonly vtag: number
  readonly pasid: number
}

/** A (pRID, PASID) the hypervisor sends an ATS Invalidate Request to. */
export interface AtcTarget {
  readonly rid: Rid
  readonly pasid: number
}

/** One architecture's nested-translation semantics. */
export interface NestingSemantics {
  /** Where the guest-owned part of the walk starts, e.g. "scalable-mode PASID entry (RID, PASID)". */
  readonly walkStart: string
  /** Name of the guest's virtual tag: "vDID", "vDomain-ID" or "ASID". */
  readonly guestTagName: string
  /** Name of the second part of the hardware tag: "PASID" or "ASID". */
  readonly addressSpaceName: string
  /** The guest's stage-1 IOTLB invalidation command. */
  readonly guestIotlbInvalidation: string
  /** The guest's ATC invalidation command. */
  readonly guestAtcInvalidation: string
  /** Who answers for the ATC by default, in the thread's words. */
  readonly atcInvalidation: "synthesized" | "forwarded"
  /** The guest's virtual tag for attaching (`vm`, `vrid`) to `table`. */
  readonly guestTag: (n: Nesting, vm: VmId, vrid: Rid, table: number) => number
  /**
   * The hardware tag the hypervisor computes when attaching, with the nesting state after any
   * allocation it made (a DID or a pDomain-ID).
   */
  readonly hardwareTag: (
    ctx: NestingContext,
    a: Omit<NestedAttachment, "domainTag" | "addressSpace">,
  ) => { readonly tag: HardwareTag; readonly nesting: Nesting }
  /** The distinct IOTLB keys a guest invalidates with after editing `attached` (its attachments to one table). */
  readonly guestIotlbKeys: (attached: ReadonlyArray<NestedAttachment>) => ReadonlyArray<GuestIotlbKey>
  /** The hardware tags iommufd invalidates for `vm`'s guest IOTLB invalidation `key`. */
  readonly iotlbTargets: (ctx: NestingContext, vm: VmId, key: GuestIotlbKey) => ReadonlyArray<HardwareTag>
  /**
   * The (pRID, PASID)s the hypervisor synthesizes ATC invalidations for, for `vm`'s `key`: every
   * walk structure (PASID table, GCR3 table, CD table: one per RID) the key may name, in RID order.
   */
  readonly synthesizedAtcTargets: (ctx: NestingContext, vm: VmId, key: GuestIotlbKey) => ReadonlyArray<AtcTarget>
}

/**
 * The smallest tag above the stage-2 domains' pool (1 … number of VMs, `iommu/domain-tag.ts`) that
 * `used` does not hold (DIDs share one space per IOMMU).
 */
const freshTag = (domains: ReadonlyArray<Domain>, used: ReadonlyArray<number>): number => {
  let t = domains.length + 1
  while (used.includes(t)) t++
  return t
}

const distinctKeys = (keys: ReadonlyArray<GuestIotlbKey>): ReadonlyArray<GuestIotlbKey> =>
  keys.filter((k, i) => keys.findIndex((u) => u.vtag === k.vtag && u.pasid === k.pasid) === i)

const targetsOf = (as: ReadonlyArray<NestedAttachment>): ReadonlyArray<AtcTarget> =>
  as.map((a) => ({ rid: a.rid, pasid: a.pasid }))

/**
 * VT-d: a nested domain is one stage-1 table referred to by PASID entries; "each time a nesting
 * domain is attached to a (RID,PASID) the hypervisor driver will try to find a (DID,PASID) that is
 * already used by this domain, or allocate a new DID" (Linux `intel/nested.c`,
 * `domain_id_iommu`). The guest invalidates by (vDID, PASID) and "the kernel ignores
 * vDomain-ID/PASID and just invalidates whatever the nesting domain is actually attached to";
 * ATC invalidations are synthesized from the nested domain's attachments and the guest's discarded.
 */
export const vtdNesting: NestingSemantics = {
  walkStart: "scalable-mode PASID entry (RID, PASID)",
  guestTagName: "vDID",
  addressSpaceName: "PASID",
  guestIotlbInvalidation: "PASID-based-IOTLB invalidate",
  guestAtcInvalidation: "PASID-based Device-TLB invalidate",
  atcInvalidation: "synthesized",
  guestTag: (_n, _vm, _vrid, table) => table,
  hardwareTag: (ctx, a) => {
    const same = ctx.nesting.attachments.find((x) => x.vm === a.vm && x.table === a.table)
    const did =
      same?.domainTag ??
      freshTag(
        ctx.domains,
        ctx.nesting.attachments.map((x) => x.domainTag),
      )
    return { tag: { domainTag: did, addressSpace: a.pasid }, nesting: ctx.nesting }
  },
  guestIotlbKeys: (attached) => distinctKeys(attached.map((a) => ({ vtag: a.vtag, pasid: a.pasid }))),
  iotlbTargets: (ctx, vm, key) =>
    distinctTags(
      ctx.nesting.attachments
        .filter((a) => a.vm === vm && a.vtag === key.vtag)
        .map((a) => ({ domainTag: a.domainTag, addressSpace: a.addressSpace })),
    ),
  synthesizedAtcTargets: (ctx, vm, key) =>
    targetsOf(ctx.nesting.attachments.filter((a) => a.vm === vm && a.vtag === key.vtag)),
}

/** The pDomain-ID `vm`'s `vDomainId` maps to under the policy's `vDomainIdMap`, if mapped. */
const mappedDomainId = (ctx: NestingContext, vm: VmId, vDomainId: number): number | undefined =>
  ctx.nesting.domainIds.find(
    (m) => m.vDomainId === vDomainId && (ctx.policy.vDomainIdMap === "shared-across-vms" || m.vm === vm),
  )?.pDomainId

/**
 * AMD-Vi: a nested domain is a GCR3 table (one per RID); "when creating the Nesting Domain the
 * vDomain-ID should be passed in. The hypervisor driver will allocate a unique pDomain-ID for each
 * vDomain-ID"; the guest invalidates by (vDomain-ID, PASID) and the kernel replaces the vDomain-ID
 * with the pDomain-ID. "(vDomain-ID,PASID) is ambiguous, it can refer to multiple GCR3 tables", so
 * a synthesized ATC invalidation must cover each of them (a design that covers one table only is
 * the guest queue program's `synthesize-atc { targets: "one-table" }`, preset `amdAtcSynthesis:
 * "single-gcr3-table"`).
 */
export const amdNesting: NestingSemantics = {
  walkStart: "GCR3 table (RID)",
  guestTagName: "vDomain-ID",
  addressSpaceName: "PASID",
  guestIotlbInvalidation: "INVALIDATE_IOMMU_PAGES (GN=1)",
  guestAtcInvalidation: "INVALIDATE_IOTLB_PAGES (GN=1)",
  atcInvalidation: "forwarded",
  guestTag: (n, vm, vrid, table) => n.attachments.find((a) => a.vm === vm && a.vrid === vrid)?.vtag ?? table,
  hardwareTag: (ctx, a) => {
    const mapped = mappedDomainId(ctx, a.vm, a.vtag)
    if (mapped !== undefined) return { tag: { domainTag: mapped, addressSpace: a.pasid }, nesting: ctx.nesting }
    const pDomainId = freshTag(
      ctx.domains,
      ctx.nesting.domainIds.map((m) => m.pDomainId),
    )
    const domainIds = [...ctx.nesting.domainIds, { vm: a.vm, vDomainId: a.vtag, pDomainId }].sort((x, y) =>
      x.vm < y.vm ? -1 : x.vm > y.vm ? 1 : x.vDomainId - y.vDomainId,
    )
    return { tag: { domainTag: pDomainId, addressSpace: a.pasid }, nesting: { ...ctx.nesting, domainIds } }
  },
  guestIotlbKeys: (attached) => distinctKeys(attached.map((a) => ({ vtag: a.vtag, pasid: a.pasid }))),
  iotlbTargets: (ctx, vm, key) => {
    const pDomainId = mappedDomainId(ctx, vm, key.vtag)
    return pDomainId === undefined ? [] : [{ domainTag: pDomainId, addressSpace: key.pasid }]
  },
  synthesizedAtcTargets: (ctx, vm, key) =>
    targetsOf(ctx.nesting.attachments.filter((a) => a.vm === vm && a.vtag === key.vtag && a.pasid === key.pasid)),
}

/**
 * SMMUv3: a nested domain is a CD table (one per StreamID); "the VMID is uniquely assigned to the
 * Nesting Parent" and the ASID is the guest's, from its CD; iommufd delivers the guest's
 * CMD_TLBI_NH_VA to the nesting parent and forces the VMID. "ASID is ambiguous. We have no idea
 * which Nesting Domain/CD table the ASID is contained in": a synthesized ATC invalidation can only
 * cover every ATS-capable attachment of the VM.
 */
export const smmuNesting: NestingSemantics = {
  walkStart: "CD table (StreamID)",
  guestTagName: "ASID",
  addressSpaceName: "ASID",
  guestIotlbInvalidation: "CMD_TLBI_NH_VA",
  guestAtcInvalidation: "CMD_ATC_INV",
  atcInvalidation: "forwarded",
  guestTag: (_n, _vm, _vrid, table) => table,
  hardwareTag: (ctx, a) => ({
    tag: { domainTag: ctx.domains.find((d) => d.vm === a.vm)?.did ?? 0, addressSpace: a.vtag },
    nesting: ctx.nesting,
  }),
  guestIotlbKeys: (attached) => distinctKeys(attached.map((a) => ({ vtag: a.vtag, pasid: 0 }))),
  iotlbTargets: (ctx, vm, key) => {
    const vmid = ctx.domains.find((d) => d.vm === vm)?.did
    return vmid === undefined ? [] : [{ domainTag: vmid, addressSpace: key.vtag }]
  },
  synthesizedAtcTargets: (ctx, vm) => targetsOf(ctx.nesting.attachments.filter((a) => a.vm === vm)),
}

/**
 * Whether attaching `table` under (`vtag`, `pasid`) would give one virtual key two tables in
 * `vm` (a guest driver never does: it tags each of its domains once).
 */
export const guestTagConflict = (n: Nesting, vm: VmId, vtag: number, pasid: number, table: number): boolean =>
  n.attachments.some((a) => a.vm === vm && a.vtag === vtag && a.pasid === pasid && a.table !== table)
