/**
 * Policy: the design knobs a scenario sets, provided to `step` as an Effect service. A knob changes
 * behaviour in `step` and only there; properties never read it (DESIGN.md §2–3).
 *
 * Knobs (each with its documented values; the first is the default):
 * - `invalidationOrder`: order of the unmap procedure's invalidations.
 *   `"iotlb-then-atc"`: IOTLB first, then device-TLB (ATC), then wait, as VT-d 4.x §6.5.2.5
 *   requires ("since translation requests from a device may be serviced by hardware from the
 *   IOTLB, software must always request IOTLB invalidation before requesting corresponding
 *   Device-TLB invalidation"); Linux `iommu_flush_iova` calls `flush_iotlb` then
 *   `iommu_flush_dev_iotlb`. `"atc-then-iotlb"`: device-TLB first,
 *   so the device can refill its ATC from the stale IOTLB in between.
 * - `atcInvalidation`: `"on"` sends an ATS Invalidate Request to every ATS-enabled function of the
 *   domain and waits for its completion; `"skip"` sends none (a driver that forgets the device-TLB).
 * - `interruptRemapping`: `"on"` (VT-d ch. 5: messages in remappable format name IRTEs) or `"off"`
 *   (compatibility format: addr/data name the destination; seed thread 000).
 * - `sidValidation`: `"full"` (IRTE SVT=01b: the requester's RID must equal the IRTE's SID) or
 *   `"none"` (SVT=00b).
 * - `interruptStore`: who writes the interrupt entries (MSI-X, IMS) of an assigned VF or ADI:
 *   `"host-managed"` (the VMM traps guest writes and programs IRTEs itself, as VFIO does for MSI-X
 *   and the SIOV spec requires for IMS) or `"guest-writable"` (IMS kept where the guest writes
 *   addr/data directly, seed thread 000).
 * - `interruptPasid`: `"untagged"` (interrupt messages carry no PASID, today's wire format) or
 *   `"tagged"` (the future hardware of seed thread 000: an ADI's messages carry its PASID and the
 *   host writes that PASID into the IRTE, which then validates (SID, PASID)).
 * - `pasidWriteToMsiWindow`: `"dma"` (a PASID-tagged write to 0xFEExxxxx is DMA, translated through
 *   the PASID's tables, as the SIOV spec says) or `"interrupt"` (a platform that decodes it as an
 *   interrupt message).
 * - `mdevMediation`: how the mdev parent driver isolates its sub-devices (seed thread 003):
 *   `"bme-off"` (the parent's Bus Master Enable stays clear; guest BME writes are trapped),
 *   `"none"` (the DFL proposal: sub-devices share the parent's RID, guest BME writes reach the
 *   parent) or `"pasid-domains"` (sub-devices tag their DMA with a PASID and get a domain each).
 * - `vfioIommu`: `"type1"` (VFIO attaches an assigned function to its VM's domain) or `"noiommu"`
 *   (VFIO no-IOMMU mode: no translation, the device's DMA addresses are physical).
 * - `vfPasidCap`: what vfio shows a VF's guest of the PF-only PASID/PRI capabilities (seed thread
 *   002): `"emulated-iommu-enforced"` (guest writes are kept and read back, and the host programs
 *   the VF's PASID entries to block what the guest disabled; features the PF had not enabled at
 *   assignment are shown unsupported), `"hidden"` (no capability), `"mirror-readonly"` (the PF's
 *   register, guest writes dropped) or `"emulated-unenforced"` (writes kept and read back, nothing
 *   else).
 * - `pfChangesWhileVfsAssigned`: `"refused"` (the PF driver's PASID/PRI changes are refused while
 *   any of its VFs is assigned, reference-counted) or `"allowed"`.
 * - `priDrainOnTeardown`: `"drain"` (PASID teardown drains the page requests of the PASID — queued,
 *   delivered and outstanding — before freeing it, as Linux `intel_drain_pasid_prq` and iommufd's
 *   auto-response do) or `"skip"`.
 * - `tdiErrorOnConfigChange`: `"enforced"` (a change of a TDI's locked configuration moves it to
 *   ERROR, TDISP §11.2.6) or `"ignored"` (a device or TSM that fails to).
 * - `trustFlip`: how a TDI's device moves from T=0 to T=1 (seed thread 004): `"forbidden"` (V1, as
 *   Jason Gunthorpe asked), `"rebind"` (unbind the driver, unmap every handle, flip, rebind) or
 *   `"in-flight"` (the driver stays bound and keeps its T=0 handles).
 * - `trustedTranslation`: how T=1 requests are translated: `"viommu"` (the TVM's vIOMMU tables in
 *   private memory) or `"window-all-private"` (no vIOMMU; the window rule with every IOVA private).
 * - `atcInvalidationUnderNesting`: what becomes of a guest's ATC invalidation (vRID, PASID) when its
 *   device is attached to a nested domain (seed thread 001): `"forward-translated"` (iommufd
 *   translates vRID -> pRID through the VM's virtual IOMMU and issues it), `"synthesize"` (the
 *   hypervisor sends ATS invalidations itself, for the RIDs the guest's IOTLB invalidation covers,
 *   and discards the guest's), `"forward-untranslated"` (the guest's vRID goes to the hardware as a
 *   pRID) or `"drop"` (the guest's are discarded and none is synthesized).
 * - `vDomainIdMap`: AMD-Vi's vDomain-ID -> pDomain-ID map: `"per-vm"` (keyed by VM and vDomain-ID)
 *   or `"shared-across-vms"` (keyed by vDomain-ID alone, so two VMs' vDomain-ID 1 share one
 *   pDomain-ID).
 * - `amdAtcSynthesis`: on AMD-Vi with `"synthesize"`, `"all-gcr3-tables"` (every GCR3 table the
 *   (vDomain-ID, PASID) may name) or `"single-gcr3-table"` (only one of them).
 * - `vRidOnReassign`: `"remove"` (the virtual IOMMU's vRID entry of a device goes when the device
 *   leaves the VM, as iommufd destroys the vDEVICE with its device) or `"keep"`.
 * - `atsInvalidationTimeout`: what every procedure's wait for ATS Invalidation Completions does
 *   when a device never answers (hung or removed; `host/ats-invalidation.ts`): `"fence-then-free"`
 *   (the IOMMU stops accepting the device's ATS traffic, then the procedure goes on and may free
 *   the page: the PCIe spec gives an unanswered Invalidate Request no meaning of done, and Linux
 *   stops trusting ATS on a device whose invalidation timed out) or `"treat-as-complete"` (the
 *   procedure goes on as if the device had answered: an unmap that cannot fail, as `iommu_unmap`'s
 *   callers assume). Presets the `onTimeout` of every program's `wait-atc`.
 * - `releaseDomain`: what a function released from a VM attaches to (`host/release.ts`'s
 *   `detach`): `"blocking"` (no context entry: Linux's blocked domain, which vfio/iommufd attach on
 *   release; Xen's quarantine serves the same end) or `"host-identity"` (the host's pass-through
 *   domain: the design of XSA-302, where a deassigned device could still DMA into host memory).
 * - `releaseQuiesce`: whether the release waits for the function's posted writes to reach the root
 *   complex before it detaches (`"wait-idle"`, as `pcie_flr` waits for pending transactions) or
 *   not (`"none"`: a write posted for the old VM may arrive under the next owner's tables).
 * - `releaseIrtes`: whether the release frees the function's IRQs and their IRTEs (`"free"`, as
 *   vfio does when the device leaves the VM) or leaves them (`"keep"`: the old VM's IRTEs still
 *   validate the RID, so the next owner's device can raise the old VM's interrupts; issue 13's first
 *   finding).
 * - `entryCacheTag`: which domain tag a program's context-/PASID-cache invalidation names
 *   (`host/entry-invalidation.ts`): `"read-before-change"` (the tag the old entry carried, which is
 *   what its cached copy carries; Linux reads the DID before clearing the entry) or
 *   `"read-after-change"` (the tag read from the entry after it was cleared or rewritten, so the
 *   cached old entry survives). Presets the `tag` of every cache invalidation operation.
 * - `domainTagFree`: how a domain's Domain-ID goes back to the pool when its last user leaves
 *   (`iommu/domain-tag.ts`): `"flush-then-free"` (a domain-selective IOTLB invalidation of the tag,
 *   then the tag is free: Linux flushes a domain's DID before `ida_free`) or `"free-without-flush"`
 *   (the IOTLB keeps translations tagged with a DID the pool may hand to another VM's domain).
 * - `unmapFlush`: when an unmap's IOTLB and device-TLB invalidations happen (`host/unmap.ts`,
 *   `host/flush-queue.ts`): `"strict"` (before the unmap returns, as vfio type1 and
 *   `iommu.strict=1` do; the preset of `invalidationOrder`/`atcInvalidation`), `"deferred"`
 *   (Linux's lazy flush queue: queued for a batch flush, the page freed at once, the IOVA only after
 *   the batch; the documented trade-off of `iommu.strict=0`) or `"deferred-page-held"` (queued, the
 *   page freed only after the batch).
 * - `unmapFlushRange`: how much of a mapping of several granules (the model's large page) the
 *   unmap's IOTLB and ATS invalidations cover: `"whole-mapping"` (a range invalidation of the
 *   mapping: VT-d AM, SMMUv3 TG/NUM/SCALE, PCIe ATS size) or `"first-page"` (its first 4 KiB
 *   only, as a driver that flushes by the base address with the smallest size: the other
 *   granules' translations, cached per granule, survive).
 * - `untrustedAts`: whether the IOMMU driver enables ATS on a function the host marks `untrusted`
 *   (issue "adversarial devices"): `"disabled"` (Linux `pci_ats_supported()` refuses untrusted
 *   devices, since "PCI/ATS: Only enable ATS for trusted devices", v5.8: their context entry accepts
 *   no translated request, so a forged one faults) or `"enabled"` (ATS on whatever has the
 *   capability, as before that commit: a malicious device's translated requests reach any HPA).
 * - `iommuGroups`: how vfio assigns functions the platform cannot isolate from each other (DMA
 *   aliases, functions without ACS: the IOMMU group, Linux `pci_device_group`): `"group-aware"`
 *   (the group is the unit of ownership: a function is assigned only with every other member of
 *   its group, to the same VM, and not while the host uses one) or `"per-function"` (each function
 *   on its own, as with the out-of-tree `pcie_acs_override` patch: an alias's context entry names
 *   whichever VM took a member last, and peers reach each other's BARs).
 * - `rmrrOnAssign`: what becomes of a device's firmware unity map (`rmrr`) when the host assigns it
 *   (`iommu/reserved-regions.ts`): `"refuse"` (Linux VT-d: `device_is_rmrr_locked()`, "Device is
 *   ineligible for IOMMU domain attach due to platform RMRR requirement"), `"drop-unity-map"` (the
 *   VM's domain gets no unity map: Linux for relaxable RMRRs and AMD IVMD, where vfio's unmanaged
 *   domain has no direct mappings) or `"keep-unity-map"` (the unity map is installed in the VM's
 *   domain, as Xen's reserved device memory identity-maps RMRRs into an HVM guest).
 *
 * @module
 */
import { Context, Schema } from "effect"

/** Schema of the scenario's `policy` object; an absent knob takes its default, an unknown one is an error. */
export const PolicySchema = Schema.Struct({
  invalidationOrder: Schema.optionalKey(Schema.Literals(["iotlb-then-atc", "atc-then-iotlb"])),
  atcInvalidation: Schema.optionalKey(Schema.Literals(["on", "skip"])),
  interruptRemapping: Schema.optionalKey(Schema.Literals(["on", "off"])),
  sidValidation: Schema.optionalKey(Schema.Literals(["full", "none"])),
  interruptStore: Schema.optionalKey(Schema.Literals(["host-managed", "guest-writable"])),
  interruptPasid: Schema.optionalKey(Schema.Literals(["untagged", "tagged"])),
  pasidWriteToMsiWindow: Schema.optionalKey(Schema.Literals(["dma", "interrupt"])),
  mdevMediation: Schema.optionalKey(Schema.Literals(["bme-off", "none", "pasid-domains"])),
  vfioIommu: Schema.optionalKey(Schema.Literals(["type1", "noiommu"])),
  vfPasidCap: Schema.optionalKey(
    Schema.Literals(["emulated-iommu-enforced", "hidden", "mirror-readonly", "emulated-unenforced"]),
  ),
  pfChangesWhileVfsAssigned: Schema.optionalKey(Schema.Literals(["refused", "allowed"])),
  priDrainOnTeardown: Schema.optionalKey(Schema.Literals(["drain", "skip"])),
  tdiErrorOnConfigChange: Schema.optionalKey(Schema.Literals(["enforced", "ignored"])),
  trustFlip: Schema.optionalKey(Schema.Literals(["forbidden", "rebind", "in-flight"])),
  trustedTranslation: Schema.optionalKey(Schema.Literals(["viommu", "window-all-private"])),
  atcInvalidationUnderNesting: Schema.optionalKey(
    Schema.Literals(["forward-translated", "synthesize", "forward-untranslated", "drop"]),
  ),
  vDomainIdMap: Schema.optionalKey(Schema.Literals(["per-vm", "shared-across-vms"])),
  amdAtcSynthesis: Schema.optionalKey(Schema.Literals(["all-gcr3-tables", "single-gcr3-table"])),
  vRidOnReassign: Schema.optionalKey(Schema.Literals(["remove", "keep"])),
  atsInvalidationTimeout: Schema.optionalKey(Schema.Literals(["fence-then-free", "treat-as-complete"])),
  releaseDomain: Schema.optionalKey(Schema.Literals(["blocking", "host-identity"])),
  releaseQuiesce: Schema.optionalKey(Schema.Literals(["wait-idle", "none"])),
  releaseIrtes: Schema.optionalKey(Schema.Literals(["free", "keep"])),
  entryCacheTag: Schema.optionalKey(Schema.Literals(["read-before-change", "read-after-change"])),
  domainTagFree: Schema.optionalKey(Schema.Literals(["flush-then-free", "free-without-flush"])),
  unmapFlush: Schema.optionalKey(Schema.Literals(["strict", "deferred", "deferred-page-held"])),
  unmapFlushRange: Schema.optionalKey(Schema.Literals(["whole-mapping", "first-page"])),
  untrustedAts: Schema.optionalKey(Schema.Literals(["disabled", "enabled"])),
  iommuGroups: Schema.optionalKey(Schema.Literals(["group-aware", "per-function"])),
  rmrrOnAssign: Schema.optionalKey(Schema.Literals(["refuse", "drop-unity-map", "keep-unity-map"])),
})

/** A scenario's `policy` object as written (knobs optional). */
export type PolicyInput = typeof PolicySchema.Type

/** Every knob with its value. */
export type PolicyValues = { readonly [K in keyof PolicyInput]-?: Exclude<PolicyInput[K], undefined> }

/** The default of every knob: the design the specs prescribe. */
export const defaultPolicy: PolicyValues = {
  invalidationOrder: "iotlb-then-atc",
  atcInvalidation: "on",
  interruptRemapping: "on",
  sidValidation: "full",
  interruptStore: "host-managed",
  interruptPasid: "untagged",
  pasidWriteToMsiWindow: "dma",
  mdevMediation: "bme-off",
  vfioIommu: "type1",
  vfPasidCap: "emulated-iommu-enforced",
  pfChangesWhileVfsAssigned: "refused",
  priDrainOnTeardown: "drain",
  tdiErrorOnConfigChange: "enforced",
  trustFlip: "forbidden",
  trustedTranslation: "viommu",
  atcInvalidationUnderNesting: "forward-translated",
  vDomainIdMap: "per-vm",
  amdAtcSynthesis: "all-gcr3-tables",
  vRidOnReassign: "remove",
  atsInvalidationTimeout: "fence-then-free",
  releaseDomain: "blocking",
  releaseQuiesce: "wait-idle",
  releaseIrtes: "free",
  entryCacheTag: "read-before-change",
  domainTagFree: "flush-then-free",
  unmapFlush: "strict",
  unmapFlushRange: "whole-mapping",
  untrustedAts: "disabled",
  iommuGroups: "group-aware",
  rmrrOnAssign: "refuse",
}

/** Fills the absent knobs of a scenario's policy with their defaults. */
export const resolvePolicy = (input: PolicyInput): PolicyValues => ({ ...defaultPolicy, ...input })

/** The Policy service `step` reads its knobs from. */
export class Policy extends Context.Service<Policy, PolicyValues>()("iovcheck/model/Policy") {}
