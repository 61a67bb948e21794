import { describe, expect, it } from "vitest"
import { scenario, stepsIn, withPolicy } from "../../test/helpers.ts"
import type { Command } from "../command.ts"

const siov = scenario("siov-ims-host-managed")
const sriov = scenario("sriov-ims-guest-writable-sid-validation")
const mdev = scenario("mdev-unmediated")

const assignAdis: ReadonlyArray<Command> = [
  { _tag: "HostAssignSubdevice", sub: "adi1", vm: "vm1" },
  { _tag: "HostAssignSubdevice", sub: "adi2", vm: "vm2" },
]
const vm2Vector: Command = { _tag: "GuestRequestInterrupt", vm: "vm2", iface: "adi2", entry: 0, vector: 0 }
const adv: Command = { _tag: "HostAdvance", pid: "irte:adi2:0" }

describe("IRTE programming by the VMM", () => {
  it("writes the IRTE, invalidates the IEC, then the IMS entry; the ADI's interrupt reaches its VM", () => {
    const { state, last } = stepsIn(siov, [
      ...assignAdis,
      vm2Vector,
      adv,
      adv,
      { _tag: "DeviceRaiseInterrupt", iface: "adi2", entry: 0 },
    ])
    expect(state.iommu.interrupts.irt[0]).toEqual({
      dest: "vm2",
      vector: 0,
      sid: "01:00.0",
      svt: "full",
      pasid: undefined,
    })
    expect(state.subdevices.find((d) => d.id === "adi2")?.ims).toEqual([{ _tag: "Remappable", handle: 0 }])
    expect(last?.events).toEqual([
      {
        _tag: "InterruptDelivered",
        source: "adi2",
        rid: "01:00.0",
        pasid: undefined,
        dest: "vm2",
        vector: 0,
        via: "IRTE 0",
      },
    ])
  })

  it("with remapping off writes a compatibility message for the guest in one step", () => {
    const off = withPolicy(sriov, { interruptRemapping: "off" })
    const { state } = stepsIn(off, [
      { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
      { _tag: "GuestRequestInterrupt", vm: "vm1", iface: "01:00.1", entry: 0, vector: 0 },
    ])
    expect(state.functions.find((f) => f.rid === "01:00.1")?.msix).toEqual([
      { _tag: "Compatibility", dest: "vm1", vector: 0 },
    ])
  })
})

describe("IMS write paths", () => {
  const raw: Command = {
    _tag: "GuestWriteInterruptEntry",
    vm: "vm1",
    iface: "adi1",
    entry: 0,
    message: { _tag: "Remappable", handle: 0 },
  }

  it("host-managed IMS traps the guest's raw write", () => {
    const { state, last } = stepsIn(siov, [...assignAdis, raw])
    expect(last?.events.map((e) => e._tag)).toEqual(["GuestWriteTrapped"])
    expect(state.subdevices.find((d) => d.id === "adi1")?.ims).toEqual([null])
  })

  it("guest-writable IMS takes the raw write as is", () => {
    const { state } = stepsIn(scenario("siov-ims-guest-writable"), [...assignAdis, raw])
    expect(state.subdevices.find((d) => d.id === "adi1")?.ims).toEqual([{ _tag: "Remappable", handle: 0 }])
  })

  it("a guest cannot write an entry of an interface it does not own", () => {
    expect(stepsIn(siov, [...assignAdis, { ...raw, vm: "vm2" }]).last?.outcome._tag).toBe("Rejected")
  })
})

describe("writes to the interrupt window", () => {
  const attack: Command = { _tag: "DeviceWriteMsiWindow", iface: "adi1", message: { _tag: "Remappable", handle: 0 } }

  it("a PASID-tagged write is DMA, faulting where the IOVA space carves the window out", () => {
    const { last } = stepsIn(siov, [...assignAdis, vm2Vector, attack])
    expect(last?.outcome._tag).toBe("Faulted")
    expect(last?.events[0]).toMatchObject({ _tag: "DmaFaulted", initiator: "adi1", iova: 0xfee00000 })
  })

  it("a write without PASID is an interrupt request, checked against the IRTE's SID", () => {
    const { last } = stepsIn(sriov, [
      { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
      { _tag: "HostAssignFunction", rid: "01:00.2", vm: "vm2" },
      { _tag: "GuestRequestInterrupt", vm: "vm2", iface: "01:00.2", entry: 0, vector: 0 },
      { _tag: "DeviceWriteMsiWindow", iface: "01:00.1", message: { _tag: "Remappable", handle: 0 } },
    ])
    expect(last?.events).toEqual([
      { _tag: "InterruptBlocked", source: "01:00.1", rid: "01:00.1", reason: "SID 01:00.1 fails IRTE 0 (SID 01:00.2)" },
    ])
  })

  it("a platform that decodes PASID writes as interrupts lets the ADI reach the other VM's IRTE", () => {
    const { last } = stepsIn(scenario("siov-pasid-dma-decoded-as-msi"), [...assignAdis, vm2Vector, attack])
    expect(last?.events[0]).toMatchObject({ _tag: "InterruptDelivered", source: "adi1", dest: "vm2" })
  })
})

describe("mdev DMA", () => {
  const dma: Command = { _tag: "SubdeviceDmaWrite", sub: "mdev1", iova: 0x1000 }
  const assign: Command = { _tag: "HostAssignSubdevice", sub: "mdev1", vm: "vm1" }

  it("without mediation goes out with the parent's RID through its identity domain", () => {
    const { last } = stepsIn(mdev, [assign, dma])
    expect(last?.events).toEqual([
      {
        _tag: "DmaCompleted",
        rid: "02:00.0",
        initiator: "mdev1",
        access: "write",
        iova: 0x1000,
        page: 1,
        path: "pass-through",
      },
    ])
  })

  it("is not issued while the parent's bus master is off, and a trapped guest BME write does not turn it on", () => {
    const bmeOff = scenario("mdev-bme-off")
    const enable: Command = { _tag: "GuestWriteBme", vm: "vm1", iface: "mdev1", enable: true }
    const { last, state } = stepsIn(bmeOff, [assign, enable, dma])
    expect(last?.outcome).toEqual({ _tag: "Rejected", reason: "02:00.0 has Bus Master Enable clear" })
    expect(state.functions[0]?.bme).toBe(false)
    const unmediated = withPolicy(bmeOff, { mdevMediation: "none" })
    expect(stepsIn(unmediated, [assign, enable, dma]).last?.outcome._tag).toBe("Ok")
  })

  it("PASID-tagged mdevs translate through their own domain", () => {
    const tagged = scenario("mdev-pasid-domains")
    const { last } = stepsIn(tagged, [assign, dma])
    expect(last?.outcome).toEqual({ _tag: "Faulted", reason: "0x1000 not present" })
    const mapped = stepsIn(tagged, [assign, { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 }, dma]).last
    expect(mapped?.events.at(-1)).toMatchObject({ _tag: "DmaCompleted", page: 0, path: "walk" })
  })
})
