import { describe, expect, it } from "vitest"
import { scenario, stepsIn, withPolicy } from "../../test/helpers.ts"
import type { Command } from "../command.ts"

const enforced = scenario("vf-pasid-emulated-iommu-enforced")
const assign: Command = { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }
const write = (field: "pasidEnable" | "exec" | "priv" | "priEnable", value: boolean): Command => ({
  _tag: "GuestWriteVfCap",
  vm: "vm1",
  rid: "01:00.1",
  field,
  value,
})
const read: Command = { _tag: "GuestReadVfCap", vm: "vm1", rid: "01:00.1" }
/** Advances vfio's enforcement of a capability write to its end (write entries, invalidate, wait, complete). */
const enforce: ReadonlyArray<Command> = Array.from({ length: 4 }, () => ({
  _tag: "HostAdvance",
  pid: "pasidcfg:01:00.1",
}))
const writeEnforced = (field: "pasidEnable" | "exec" | "priv" | "priEnable", value: boolean) => [
  write(field, value),
  ...enforce,
]
const bind: Command = { _tag: "HostBindPasid", rid: "01:00.1", pasid: 1, vm: "vm1" }
const map: Command = { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 }
const exec: Command = {
  _tag: "DevicePasidRequest",
  rid: "01:00.1",
  pasid: 1,
  iova: 0x1000,
  access: "execute",
  privileged: false,
}

describe("the VF's virtual PASID/PRI capability", () => {
  it("hidden: nothing to write, nothing to read, no PASID bound", () => {
    const hidden = scenario("vf-pasid-hidden")
    expect(stepsIn(hidden, [assign, write("pasidEnable", true)]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(hidden, [assign, read]).last?.events).toEqual([
      { _tag: "VfCapRead", vm: "vm1", rid: "01:00.1", bits: null },
    ])
    expect(stepsIn(hidden, [assign, bind]).last?.outcome._tag).toBe("Rejected")
  })

  it("mirror-readonly: reads the PF's bits and drops writes", () => {
    const mirror = scenario("vf-pasid-mirror-readonly")
    const { last } = stepsIn(mirror, [assign, write("exec", false), read])
    expect(last?.events[0]).toMatchObject({ _tag: "VfCapRead", bits: { exec: true } })
  })

  it("emulated: starts clear and reads back what the guest wrote, once vfio has enforced it", () => {
    expect(stepsIn(enforced, [assign, write("pasidEnable", true), read]).last?.outcome._tag).toBe("Waiting")
    const { last } = stepsIn(enforced, [assign, ...writeEnforced("pasidEnable", true), read])
    expect(last?.events[0]).toEqual({
      _tag: "VfCapRead",
      vm: "vm1",
      rid: "01:00.1",
      bits: { pasidEnable: true, exec: false, priv: false, priEnable: false },
    })
  })

  it("enforced: the VF's PASID entries follow the guest's bits", () => {
    const on = stepsIn(enforced, [
      assign,
      map,
      ...writeEnforced("pasidEnable", true),
      ...writeEnforced("exec", true),
      bind,
      exec,
    ]).last
    expect(on?.events.at(-1)).toMatchObject({ _tag: "DmaCompleted", access: "execute", pasid: 1 })
    const off = stepsIn(enforced, [
      assign,
      map,
      ...writeEnforced("pasidEnable", true),
      bind,
      write("exec", false),
      exec,
    ]).last
    expect(off?.outcome).toEqual({ _tag: "Faulted", reason: "PASID 1 entry has Execute Requests Enable clear" })
  })

  it("unenforced: the IOMMU lets through what the guest disabled", () => {
    const loose = scenario("vf-pasid-emulated-unenforced")
    const { last } = stepsIn(loose, [assign, map, bind, write("exec", false), exec])
    expect(last?.outcome._tag).toBe("Ok")
  })

  it("features the PF had not enabled at assignment are unsupported on the virtual capability", () => {
    const { last } = stepsIn(withPolicy(enforced, { pfChangesWhileVfsAssigned: "allowed" }), [
      { _tag: "HostWritePfCap", rid: "01:00.0", field: "exec", value: false },
      assign,
      write("exec", true),
    ])
    expect(last?.outcome._tag).toBe("Rejected")
  })
})

describe("the PF's capability governs its VFs", () => {
  it("a PF change is refused while a VF is assigned, under refcounting", () => {
    const { last } = stepsIn(enforced, [
      assign,
      { _tag: "HostWritePfCap", rid: "01:00.0", field: "pasidEnable", value: false },
    ])
    expect(last?.outcome).toEqual({ _tag: "Rejected", reason: "refused: VFs 01:00.1 of 01:00.0 are assigned" })
  })

  it("a VF sends no PASID-tagged request once its PF's PASID Enable is clear", () => {
    const allowed = scenario("vf-pasid-pf-disables-while-assigned")
    const { last } = stepsIn(allowed, [
      assign,
      ...writeEnforced("pasidEnable", true),
      bind,
      { _tag: "HostWritePfCap", rid: "01:00.0", field: "pasidEnable", value: false },
      exec,
    ])
    expect(last?.events).toEqual([
      { _tag: "RequestNotSent", rid: "01:00.1", field: "pasidEnable", reason: "PF pasidEnable clear" },
    ])
  })
})

describe("PRI queue, routing and teardown", () => {
  const drain = scenario("pri-teardown-drain")
  const bind1: Command = { _tag: "HostBindPasid", rid: "01:00.0", pasid: 1, vm: "vm1" }
  const pr: Command = { _tag: "DevicePageRequest", rid: "01:00.0", pasid: 1, iova: 0x1000, prgi: 0 }
  const route: Command = { _tag: "HostRoutePageRequest" }
  const respond: Command = { _tag: "GuestPageResponse", vm: "vm1", rid: "01:00.0", pasid: 1, prgi: 0 }

  it("queues a page request, routes it to the PASID's owner, and completes the group on its response", () => {
    const queued = stepsIn(drain, [bind1, pr]).state
    expect(queued.iommu.prq).toEqual([{ rid: "01:00.0", pasid: 1, iova: 0x1000, prgi: 0, sentUnder: "vm1" }])
    const routed = stepsIn(drain, [bind1, pr, route]).state
    expect(routed.guests[0]?.faults).toEqual([{ rid: "01:00.0", pasid: 1, prgi: 0, iova: 0x1000 }])
    const { state, last } = stepsIn(drain, [bind1, pr, route, respond])
    expect(last?.events[0]).toMatchObject({ _tag: "PageResponseDelivered", from: "vm1", groupSentUnder: "vm1" })
    expect(state.functions[0]?.groups).toEqual([])
  })

  it("refuses page requests for an unbound PASID at once", () => {
    expect(stepsIn(drain, [pr]).last?.events[0]).toMatchObject({ _tag: "PageRequestRefused" })
  })

  it("draining drops queued and delivered requests of the PASID and answers its groups", () => {
    const unbind: Command = { _tag: "HostUnbindPasid", rid: "01:00.0", pasid: 1 }
    const adv: Command = { _tag: "HostAdvance", pid: "pasid:01:00.0:1" }
    const { state, last } = stepsIn(drain, [bind1, pr, unbind, adv, adv, adv, adv])
    expect(last?.events).toEqual([
      { _tag: "PasidDrained", rid: "01:00.0", pasid: 1, queued: 1, delivered: 0, answered: 1 },
    ])
    expect(state.iommu.prq).toEqual([])
    expect(state.functions[0]?.groups).toEqual([])
    expect(stepsIn(drain, [bind1, pr, unbind, { ...bind1, vm: "vm2" }]).last?.outcome._tag).toBe("Rejected")
  })
})
