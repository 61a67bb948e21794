/**
 * Vendor: the IOMMU architecture whose semantics `step` follows, provided as an Effect service.
 *
 * In the SR-IOV/ATS slice the three architectures agree on the behaviour modelled (a per-RID
 * context/device/stream table entry selects a domain; the IOTLB is tagged by the domain's tag;
 * device-TLBs are invalidated by ATS Invalidate Requests); they differ in the names of tags and
 * commands, which events carry so traces read in the architecture's own words:
 * - VT-d 4.x: DID; IOTLB invalidation descriptor (§6.5.2.4); Device-TLB invalidation descriptor (§6.5.2.5).
 * - AMD IOMMU 3.x: DomainID; INVALIDATE_IOMMU_PAGES (§2.4.3); INVALIDATE_IOTLB_PAGES (§2.4.4).
 * - SMMUv3.3: VMID; CMD_TLBI_S2_IPA (§4.4.2); CMD_ATC_INV (§4.5.2).
 *
 * Under nesting they differ in substance (seed thread 001): where the guest-owned walk starts, how
 * the hypervisor computes the hardware tag, what key the guest invalidates with and who answers
 * for the ATC. `nesting` carries those semantics (`nesting/vendor-nesting.ts`).
 *
 * @module
 */
import { Context, Schema } from "effect"
import { amdNesting, type NestingSemantics, smmuNesting, vtdNesting } from "./nesting/vendor-nesting.ts"

/** Schema of a scenario's `vendor` field. */
export const VendorId = Schema.Literals(["vtd", "amd-vi", "smmuv3"])
/** `"vtd"`, `"amd-vi"` or `"smmuv3"`. */
export type VendorId = typeof VendorId.Type

/** What `step` needs to know of an IOMMU architecture. */
export interface VendorSemantics {
  readonly id: VendorId
  /** Name of the architecture, e.g. "Intel VT-d". */
  readonly name: string
  /** Name of the domain tag of the IOTLB: "DID", "DomainID" or "VMID". */
  readonly domainTag: string
  /** Name of the page-selective IOTLB invalidation command. */
  readonly iotlbInvalidation: string
  /** Name of the domain-selective one (every IOVA of a domain tag). */
  readonly iotlbDomainInvalidation: string
  /** Name of the command that makes the IOMMU send an ATS Invalidate Request. */
  readonly atcInvalidation: string
  /** Names of the structure caches of per-RID and per-(RID, PASID) entries, and of their invalidations. */
  readonly contextCacheName: string
  readonly pasidCacheName: string
  readonly contextCacheInvalidation: string
  readonly pasidCacheInvalidation: string
  /** Nested translation: tags, invalidation keys and their translation. */
  readonly nesting: NestingSemantics
}

/** The semantics of each architecture, by id. */
export const vendors: Readonly<Record<VendorId, VendorSemantics>> = {
  vtd: {
    id: "vtd",
    name: "Intel VT-d",
    domainTag: "DID",
    iotlbInvalidation: "IOTLB invalidate (page-selective)",
    iotlbDomainInvalidation: "IOTLB invalidate (domain-selective)",
    atcInvalidation: "Device-TLB invalidate",
    contextCacheName: "context-cache",
    pasidCacheName: "PASID-cache",
    contextCacheInvalidation: "context-cache invalidate (device-selective)",
    pasidCacheInvalidation: "PASID-cache invalidate (PASID-selective)",
    nesting: vtdNesting,
  },
  "amd-vi": {
    id: "amd-vi",
    name: "AMD-Vi",
    domainTag: "DomainID",
    iotlbInvalidation: "INVALIDATE_IOMMU_PAGES",
    // AMD IOMMU spec §2.4.3: S=1 with address 7FFF_FFFF_FFFF_F000h invalidates every page of the DomainID.
    iotlbDomainInvalidation: "INVALIDATE_IOMMU_PAGES (S=1, all pages)",
    atcInvalidation: "INVALIDATE_IOTLB_PAGES",
    contextCacheName: "DTE cache",
    pasidCacheName: "DTE cache (GCR3 level)",
    contextCacheInvalidation: "INVALIDATE_DEVTAB_ENTRY",
    pasidCacheInvalidation: "INVALIDATE_DEVTAB_ENTRY",
    nesting: amdNesting,
  },
  smmuv3: {
    id: "smmuv3",
    name: "Arm SMMUv3",
    domainTag: "VMID",
    iotlbInvalidation: "CMD_TLBI_S2_IPA",
    iotlbDomainInvalidation: "CMD_TLBI_S12_VMALL",
    atcInvalidation: "CMD_ATC_INV",
    contextCacheName: "STE cache",
    pasidCacheName: "CD cache",
    contextCacheInvalidation: "CMD_CFGI_STE",
    pasidCacheInvalidation: "CMD_CFGI_CD",
    nesting: smmuNesting,
  },
}

/** The Vendor service `step` reads architecture semantics from. */
export class Vendor extends Context.Service<Vendor, VendorSemantics>()("iovcheck/model/Vendor") {}

/** The vendor's IOTLB invalidation command for one IOVA, or (`undefined`) for a whole domain tag. */
export const iotlbCommand = (vendor: VendorSemantics, iova: number | undefined): string =>
  iova === undefined ? vendor.iotlbDomainInvalidation : vendor.iotlbInvalidation
