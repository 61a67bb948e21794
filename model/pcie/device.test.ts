import { describe, expect, it } from "vitest"
import { scenario, stepsIn } from "../../test/helpers.ts"
import type { Command } from "../command.ts"

const strict = scenario("sriov-ats-strict")
const assign: Command = { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }
const map: Command = { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 }
const tr: Command = { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 0x1000 }

describe("device requests", () => {
  it("a Translation Request fills the IOTLB and the ATC", () => {
    const { state, last } = stepsIn(strict, [assign, map, tr])
    expect(last?.events.map((e) => e._tag)).toEqual(["IotlbFilled", "TranslationCompleted", "AtcFilled"])
    expect(state.functions.find((f) => f.rid === "01:00.1")?.ats.atc).toEqual([{ iova: 0x1000, page: 0 }])
  })

  it("a Translation Request for an unmapped IOVA completes with no access and caches nothing", () => {
    const { state, last } = stepsIn(strict, [assign, tr])
    expect(last?.events).toEqual([
      { _tag: "TranslationCompleted", rid: "01:00.1", iova: 0x1000, page: undefined, source: "none" },
    ])
    expect(state.functions.find((f) => f.rid === "01:00.1")?.ats.atc).toEqual([])
  })

  it("untranslated DMA is translated; not present or blocked faults", () => {
    const ok = stepsIn(strict, [assign, map, { _tag: "DeviceDmaWrite", rid: "01:00.1", iova: 0x1000 }]).last
    expect(ok?.events.at(-1)).toMatchObject({ _tag: "DmaCompleted", page: 0, path: "walk" })
    const np = stepsIn(strict, [assign, { _tag: "DeviceDmaWrite", rid: "01:00.1", iova: 0x1000 }]).last
    expect(np?.outcome._tag).toBe("Faulted")
    const blocked = stepsIn(strict, [{ _tag: "DeviceDmaRead", rid: "01:00.2", iova: 0x1000 }]).last
    expect(blocked?.outcome).toMatchObject({ _tag: "Faulted", reason: "01:00.2 has no context entry" })
  })

  it("a translated request uses the ATC entry without the IOMMU translating it again", () => {
    const unmapNoWait: Array<Command> = [assign, map, tr, { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 }]
    const { last } = stepsIn(strict, [...unmapNoWait, { _tag: "DeviceTranslatedWrite", rid: "01:00.1", iova: 0x1000 }])
    expect(last?.events).toEqual([
      { _tag: "DmaCompleted", rid: "01:00.1", access: "write", iova: 0x1000, page: 0, path: "translated" },
    ])
  })

  it("a translated request without an ATC entry is rejected; ATS-disabled functions cannot translate", () => {
    expect(
      stepsIn(strict, [assign, { _tag: "DeviceTranslatedRead", rid: "01:00.1", iova: 0x1000 }]).last?.outcome._tag,
    ).toBe("Rejected")
    expect(stepsIn(strict, [{ _tag: "DeviceTranslationRequest", rid: "01:00.0", iova: 0x1000 }]).last?.outcome).toEqual(
      {
        _tag: "Rejected",
        reason: "ATS is not enabled on 01:00.0",
      },
    )
  })
})
