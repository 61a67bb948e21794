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
