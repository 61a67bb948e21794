import { describe, expect, it } from "vitest"
import type { Command } from "../model/command.ts"
import { runCommands, scenario, withPolicy } from "../test/helpers.ts"

const strict = scenario("sriov-ats-strict")
const assign: Command = { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }
const map: Command = { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 }
const tr: Command = { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 0x1000 }
const unmap: Command = { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 }
const adv: Command = { _tag: "HostAdvance", pid: "unmap:vm1:0x1000" }
const write: Command = { _tag: "DeviceTranslatedWrite", rid: "01:00.1", iova: 0x1000 }
const complete: Command = { _tag: "DeviceCompleteAtsInvalidation", rid: "01:00.1" }

describe("atc-coherence", () => {
  it("flags the ATC entry that outlives an unmap that skipped the device-TLB, with the values", () => {
    const r = runCommands(withPolicy(strict, { atcInvalidation: "skip" }), [assign, map, tr, unmap, adv, adv])
    expect(r.findings).toEqual([
      {
        property: "atc-coherence",
        stepIndex: 5,
        message:
          "ATC of VF 01:00.1 (vm1) still translates 0x1000 -> page 0, but the tables (DID 1) translate it to nothing, and no invalidation covering it is in flight",
      },
    ])
  })

  it("tolerates stale entries while the unmap is in flight (inside the invalidation)", () => {
    const r = runCommands(strict, [assign, map, tr, unmap, adv, write])
    expect(r.findings).toEqual([])
  })

  it("holds for the full strict procedure", () => {
    expect(runCommands(strict, [assign, map, tr, unmap, adv, adv, complete, adv, adv]).findings).toEqual([])
  })
})

describe("dma-isolation", () => {
  it("flags a translated write into a page freed by the unmap", () => {
    const skip = withPolicy(strict, { atcInvalidation: "skip" })
    const r = runCommands(skip, [assign, map, tr, unmap, adv, adv, write])
    expect(r.findings.map((f) => f.property)).toEqual(["atc-coherence", "dma-isolation"])
    expect(r.findings[1]?.message).toBe(
      "VF 01:00.1 (vm1) wrote HPA page 0 which is free (owned by no one) through its ATC (translated request) for IOVA 0x1000",
    )
  })

  it("flags a write into a page another VM owns", () => {
    const skip = withPolicy(strict, { atcInvalidation: "skip" })
    const realloc: Command = { _tag: "HostAllocatePage", page: 0, vm: "vm2" }
    const r = runCommands(skip, [assign, map, tr, unmap, adv, adv, realloc, write])
    expect(r.findings.at(-1)?.message).toContain("wrote HPA page 0 owned by vm2")
  })

  it("allows DMA to the owner's own pages", () => {
    const dma: Command = { _tag: "DeviceDmaWrite", rid: "01:00.1", iova: 0x1000 }
    expect(runCommands(strict, [assign, map, dma, tr, write]).findings).toEqual([])
  })
})

describe("capability-coherence", () => {
  const enforced = scenario("vf-pasid-emulated-iommu-enforced")
  const vcap = (value: boolean): Command => ({
    _tag: "GuestWriteVfCap",
    vm: "vm1",
    rid: "01:00.1",
    field: "pasidEnable",
    value,
  })
  const step: Command = { _tag: "HostAdvance", pid: "pasidcfg:01:00.1" }
  const bind: Command = { _tag: "HostBindPasid", rid: "01:00.1", pasid: 1, vm: "vm1" }
  const pasidRead: Command = {
    _tag: "DevicePasidRequest",
    rid: "01:00.1",
    pasid: 1,
    iova: 0x1000,
    access: "read",
    privileged: false,
  }
  // The guest disables PASID and its write completes (write-entry ran with the write, then the
  // cache invalidation, the ATC invalidation, the wait and complete-write).
  const disabled: ReadonlyArray<Command> = [assign, map, vcap(false), step, step, step, step]

  it("accepts a PASID request that completes while the guest's enabling write is still being enforced", () => {
    // The depth-10 search of this scenario flagged this trace when only completed writes counted:
    // the enable had reached the PASID entries, not yet the guest.
    const r = runCommands(enforced, [...disabled, vcap(true), bind, pasidRead])
    expect(r.findings).toEqual([])
  })

  it("flags a PASID request that completes after the guest's disabling write returned, before vfio wrote the entries", () => {
    // A broken update program: the write returns to the guest before the entries change.
    const lateEntry = {
      ...enforced,
      procedures: { "pasid-update": ["complete-write", "write-entry"] },
    } as typeof enforced
    const r = runCommands(lateEntry, [assign, map, vcap(true), step, bind, vcap(false), pasidRead])
    expect(r.findings.map((f) => [f.property, f.stepIndex, f.message])).toEqual([
      [
        "capability-coherence",
        6,
        "01:00.1 (vm1) completed a read request with PASID 1 although vm1 disabled pasidEnable",
      ],
    ])
  })
})
