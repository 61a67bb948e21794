import { describe, expect, it } from "vitest"
import { runCommands, scenario, stepsIn, withPolicy } from "../../test/helpers.ts"
import type { Command } from "../command.ts"
import { initialState } from "../init.ts"
import { defaultPolicy } from "../policy.ts"
import type { State } from "../state.ts"
import { vendors } from "../vendor.ts"
import { guestQueueProgram } from "./guest-invalidation.ts"
import { nestedIotlbFill } from "./nesting.ts"
import type { NestingContext } from "./vendor-nesting.ts"

const assign = (rid: string, vm: string): Command => ({ _tag: "HostAssignFunction", rid, vm })
const attach = (vm: string, vrid: string, pasid: number, table = 1): Command => ({
  _tag: "GuestAttachStage1",
  vm,
  vrid,
  pasid,
  table,
})
const advance = (vm: string): Command => ({ _tag: "HostAdvance", pid: `ginvq:${vm}` })

/** vm1 holds both VFs, its domain maps GPA 0x1000 -> page 0, its table 1 maps 0x1000 -> GPA 0x1000. */
const setup: ReadonlyArray<Command> = [
  assign("01:00.1", "vm1"),
  assign("01:00.2", "vm1"),
  { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
  { _tag: "GuestStage1Map", vm: "vm1", table: 1, iova: 0x1000, gpa: 0x1000 },
]

const attachmentsAfter = (id: string, commands: ReadonlyArray<Command>, policy = {}) =>
  stepsIn(withPolicy(scenario(id), policy), commands).state.nesting?.attachments ?? []

const ctxOf = (state: State, policy = {}): NestingContext => ({
  policy: { ...defaultPolicy, ...policy },
  nesting: state.nesting ?? { tables: [], attachments: [], iotlb: [], viommus: [], domainIds: [] },
  domains: state.iommu.domains,
})

describe("hardware tags under nesting (seed thread 001)", () => {
  it("VT-d: one DID per nested domain (stage-1 table), above the stage-2 DIDs, tagged with the PASID", () => {
    const as = attachmentsAfter("nested-vtd-synthesized-atc", [
      ...setup,
      attach("vm1", "00:01.0", 0),
      attach("vm1", "00:02.0", 1),
    ])
    expect(as.map((a) => [a.rid, a.domainTag, a.addressSpace])).toEqual([
      ["01:00.1", 3, 0],
      ["01:00.2", 3, 1],
    ])
  })

  it("AMD-Vi: the vDomain-ID is per vRID; pDomain-IDs are per VM unless the map is shared across VMs", () => {
    const both: ReadonlyArray<Command> = [
      assign("01:00.1", "vm1"),
      assign("01:00.2", "vm2"),
      attach("vm1", "00:01.0", 0),
      attach("vm2", "00:01.0", 0),
    ]
    const perVm = attachmentsAfter("nested-amd-forwarded-atc", both)
    expect(perVm.map((a) => [a.vm, a.vtag, a.domainTag])).toEqual([
      ["vm1", 1, 3],
      ["vm2", 1, 4],
    ])
    const shared = attachmentsAfter("nested-amd-forwarded-atc", both, { vDomainIdMap: "shared-across-vms" })
    expect(shared.map((a) => [a.vm, a.vtag, a.domainTag])).toEqual([
      ["vm1", 1, 3],
      ["vm2", 1, 3],
    ])
  })

  it("SMMUv3: VMID of the nesting parent, ASID from the guest", () => {
    // vm2's domain is the first to get a user, so it takes VMID 1 from the pool.
    const as = attachmentsAfter("nested-smmuv3-forwarded-atc", [assign("01:00.2", "vm2"), attach("vm2", "00:01.0", 1)])
    expect(as.map((a) => [a.rid, a.domainTag, a.addressSpace])).toEqual([["01:00.2", 1, 1]])
  })
})

describe("translation of the guest's invalidations", () => {
  const state = stepsIn(scenario("nested-amd-forwarded-atc"), [
    ...setup,
    attach("vm1", "00:01.0", 0),
    attach("vm1", "00:02.0", 0),
  ]).state

  it("VT-d invalidates whatever the nested domain is attached to, ignoring the guest's PASID", () => {
    const s = stepsIn(scenario("nested-vtd-synthesized-atc"), [
      ...setup,
      attach("vm1", "00:01.0", 0),
      attach("vm1", "00:02.0", 1),
    ]).state
    expect(vendors.vtd.nesting.iotlbTargets(ctxOf(s), "vm1", { vtag: 1, pasid: 0 })).toEqual([
      { domainTag: 3, addressSpace: 0 },
      { domainTag: 3, addressSpace: 1 },
    ])
    expect(vendors.vtd.nesting.synthesizedAtcTargets(ctxOf(s), "vm1", { vtag: 1, pasid: 0 })).toEqual([
      { rid: "01:00.1", pasid: 0 },
      { rid: "01:00.2", pasid: 1 },
    ])
  })

  it("AMD-Vi replaces the vDomain-ID by the pDomain-ID; synthesis may name every GCR3 table of the key", () => {
    const amd = vendors["amd-vi"].nesting
    expect(amd.iotlbTargets(ctxOf(state), "vm1", { vtag: 1, pasid: 0 })).toEqual([{ domainTag: 3, addressSpace: 0 }])
    expect(amd.iotlbTargets(ctxOf(state), "vm2", { vtag: 1, pasid: 0 })).toEqual([])
    expect(amd.synthesizedAtcTargets(ctxOf(state), "vm1", { vtag: 1, pasid: 0 })).toEqual([
      { rid: "01:00.1", pasid: 0 },
      { rid: "01:00.2", pasid: 0 },
    ])
  })

  it("the knob amdAtcSynthesis presets the guest-queue program's synthesis targets", () => {
    expect(guestQueueProgram({ ...defaultPolicy, atcInvalidationUnderNesting: "synthesize" }, undefined).iotlb).toEqual(
      [{ op: "invalidate-iotlb" }, { op: "synthesize-atc", targets: "every-table" }],
    )
    expect(
      guestQueueProgram(
        { ...defaultPolicy, atcInvalidationUnderNesting: "synthesize", amdAtcSynthesis: "single-gcr3-table" },
        undefined,
      ).iotlb[1],
    ).toEqual({ op: "synthesize-atc", targets: "one-table" })
  })

  it("SMMUv3 forces the VMID of the VM's nesting parent onto the guest's ASID", () => {
    expect(vendors.smmuv3.nesting.iotlbTargets(ctxOf(state), "vm1", { vtag: 5, pasid: 0 })).toEqual([
      { domainTag: 1, addressSpace: 5 },
    ])
    expect(vendors.smmuv3.nesting.iotlbTargets(ctxOf(state), "vm2", { vtag: 5, pasid: 0 })).toEqual([])
  })

  it("a guest's ATC invalidation is forwarded to the pRID its vRID names, or untranslated, or discarded", () => {
    const run = (policy: object) =>
      runCommands(withPolicy(scenario("nested-smmuv3-forwarded-atc"), policy), [
        ...setup,
        { _tag: "GuestInvalidateAtc", vm: "vm1", vrid: "00:02.0", pasid: 0, iova: 0x1000 },
      ]).steps?.at(-1)?.events ?? []
    const forwarded = run({})
    expect(forwarded).toContainEqual(
      expect.objectContaining({ _tag: "GuestAtcInvalidation", disposition: "forwarded", rid: "01:00.2" }),
    )
    expect(forwarded).toContainEqual(
      expect.objectContaining({ _tag: "AtsInvalidationSent", rid: "01:00.2", iova: 0x1000 }),
    )
    expect(run({ atcInvalidationUnderNesting: "forward-untranslated" })).toContainEqual(
      expect.objectContaining({ disposition: "no-such-function", rid: "00:02.0" }),
    )
    expect(run({ atcInvalidationUnderNesting: "drop" })).toContainEqual(
      expect.objectContaining({ disposition: "discarded" }),
    )
  })
})

describe("nested translation", () => {
  it("walks stage 1 then stage 2 and caches the combined translation under the hardware tag", () => {
    const r = runCommands(scenario("nested-smmuv3-forwarded-atc"), [
      ...setup,
      attach("vm1", "00:01.0", 0),
      { _tag: "DeviceDmaRead", rid: "01:00.1", iova: 0x1000 },
      { _tag: "DeviceDmaRead", rid: "01:00.1", iova: 0x1000 },
    ])
    const dma = (r.steps ?? []).slice(-2).map((s) => s.events.find((e) => e._tag === "DmaCompleted"))
    expect(dma.map((e) => (e?._tag === "DmaCompleted" ? [e.page, e.path] : undefined))).toEqual([
      [0, "walk"],
      [0, "iotlb"],
    ])
  })

  it("a combined IOTLB entry is keyed by (tag, address space, IOVA)", () => {
    const n = initialState(scenario("nested-shared-pdid").topology).nesting
    if (n === undefined) throw new Error("no nesting")
    const filled = nestedIotlbFill(nestedIotlbFill(n, { domainTag: 3, addressSpace: 0, iova: 0, page: 1 }), {
      domainTag: 3,
      addressSpace: 0,
      iova: 0,
      page: 2,
    })
    expect(filled.iotlb).toEqual([{ domainTag: 3, addressSpace: 0, iova: 0, page: 2 }])
  })

  it("single-GCR3 synthesis leaves the second device's ATC stale once the guest's unmap is done", () => {
    const trace: ReadonlyArray<Command> = [
      ...setup,
      attach("vm1", "00:01.0", 0),
      attach("vm1", "00:02.0", 0),
      { _tag: "DeviceTranslationRequest", rid: "01:00.2", iova: 0x1000 },
      { _tag: "GuestStage1Unmap", vm: "vm1", table: 1, iova: 0x1000 },
      { _tag: "DeviceCompleteAtsInvalidation", rid: "01:00.1" },
      advance("vm1"),
    ]
    const unsafe = runCommands(scenario("nested-amd-synthesized-single-gcr3"), trace)
    expect(unsafe.findings?.map((f) => [f.property, f.stepIndex])).toEqual([["atc-coherence", 9]])
    const all = runCommands(
      withPolicy(scenario("nested-amd-synthesized-single-gcr3"), { amdAtcSynthesis: "all-gcr3-tables" }),
      trace,
    )
    expect(all.findings ?? []).toEqual([])
  })
})
