/**
 * Regression tests of the six composition findings of issue 13 ("one platform"): each trace mixes
 * features the catalogue kept apart and once gave a false alarm or a model defect under the default
 * (spec-prescribed) policy. Each must now run clean, and each checks the mechanism that fixed it.
 */
import { describe, expect, it } from "vitest"
import type { Command } from "../model/command.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { runCommands, scenario } from "./helpers.ts"

const vf1 = "01:00.1"
const assign = (vm: string, rid = vf1): Command => ({ _tag: "HostAssignFunction", rid, vm })
const advance = (pid: string, n = 1): ReadonlyArray<Command> =>
  Array.from({ length: n }, () => ({ _tag: "HostAdvance", pid }) as const)

/** A catalogue scenario with its topology's functions changed and more topology fields. */
const variant = (
  id: string,
  fn: (f: Scenario["topology"]["functions"][number]) => Scenario["topology"]["functions"][number],
  more: Partial<Scenario["topology"]> = {},
  policy: Scenario["policy"] = {},
): Scenario => {
  const s = scenario(id)
  return {
    ...s,
    policy: { ...s.policy, ...policy },
    topology: { ...s.topology, functions: s.topology.functions.map(fn), ...more },
  }
}

describe("issue 13 findings run clean under the default policy", () => {
  it("1. reassignment frees the function's IRTEs: its MSI no longer reaches the old VM", () => {
    const s = variant("nested-vtd-synthesized-atc", (f) => (f.kind === "vf" ? { ...f, msix: 1 } : f))
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "GuestRequestInterrupt", vm: "vm1", iface: vf1, entry: 0, vector: 0 },
      ...advance(`irte:${vf1}:0`, 2),
      { _tag: "HostReassignFunction", rid: vf1, vm: "vm2" },
      ...advance(`release:${vf1}`, 9),
      { _tag: "DeviceWriteMsiWindow", iface: vf1, message: { _tag: "Remappable", handle: 0 } },
    ])
    expect(r.findings).toEqual([])
    expect(r.steps[5]?.events).toContainEqual({ _tag: "IrtesFreed", rid: vf1, handles: [0] })
    expect(r.final.functions.find((f) => f.rid === vf1)?.owner).toBe("vm2")
    expect(r.steps.at(-1)?.outcome).toEqual({ _tag: "Faulted", reason: "IRTE 0 not present" })
  })

  it("2. reassignment with a bound PASID unbinds it instead of leaving the old VM's entry", () => {
    const s = variant("nested-vtd-synthesized-atc", (f) => (f.kind === "pf" ? { ...f, pasidPri: true } : f))
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "HostBindPasid", rid: vf1, pasid: 1, vm: "vm1" },
      { _tag: "HostReassignFunction", rid: vf1, vm: "vm2" },
      ...advance(`release:${vf1}`, 9),
    ])
    expect(r.findings).toEqual([])
    expect(r.final.iommu.pasids).toEqual([])
  })

  it("3. the unmap invalidates the PASID-tagged ATC entries of the domain's PASID users", () => {
    const s = variant("sriov-ats-strict", (f) => (f.kind === "pf" ? { ...f, pasidPri: true } : f), { pasids: [1] })
    const pid = "unmap:vm1:0x1000"
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "GuestWriteVfCap", vm: "vm1", rid: vf1, field: "pasidEnable", value: true },
      ...advance(`pasidcfg:${vf1}`, 4),
      { _tag: "HostBindPasid", rid: vf1, pasid: 1, vm: "vm1" },
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
      { _tag: "DeviceTranslationRequest", rid: vf1, iova: 0x1000, pasid: 1 },
      { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 },
      ...advance(pid, 2),
      { _tag: "DeviceCompleteAtsInvalidation", rid: vf1 },
      { _tag: "DeviceCompleteAtsInvalidation", rid: vf1 },
      ...advance(pid, 2),
      { _tag: "DeviceTranslatedRead", rid: vf1, iova: 0x1000, pasid: 1 },
    ])
    expect(r.findings).toEqual([])
    expect(r.steps.flatMap((x) => x.events)).toContainEqual(
      expect.objectContaining({ _tag: "AtsInvalidationSent", rid: vf1, pasid: 1, iova: 0x1000 }),
    )
    expect(r.steps.at(-1)?.outcome._tag).toBe("Rejected")
  })

  it("4. enforcing a guest's PASID Enable = 0 invalidates the PASID's ATC entries before the write completes", () => {
    const s = variant("vf-pasid-emulated-iommu-enforced", (f) => (f.kind === "vf" ? { ...f, ats: true } : f))
    const write = (value: boolean): Command => ({
      _tag: "GuestWriteVfCap",
      vm: "vm1",
      rid: vf1,
      field: "pasidEnable",
      value,
    })
    const r = runCommands(s, [
      assign("vm1"),
      write(true),
      ...advance(`pasidcfg:${vf1}`, 4),
      { _tag: "HostBindPasid", rid: vf1, pasid: 1, vm: "vm1" },
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
      { _tag: "DeviceTranslationRequest", rid: vf1, iova: 0x1000, pasid: 1 },
      write(false),
      ...advance(`pasidcfg:${vf1}`, 2),
      { _tag: "DeviceCompleteAtsInvalidation", rid: vf1 },
      ...advance(`pasidcfg:${vf1}`, 2),
      { _tag: "DeviceTranslatedRead", rid: vf1, iova: 0x1000, pasid: 1 },
    ])
    expect(r.findings).toEqual([])
    expect(r.final.functions.find((f) => f.rid === vf1)?.ats.atc).toEqual([])
  })

  it("5. a nested PASID attachment honours the PASID Enable the guest wrote in vfio's capability", () => {
    const s = variant(
      "nested-amd-forwarded-atc",
      (f) => (f.kind === "pf" ? { ...f, pasidPri: true } : f),
      {},
      { vfPasidCap: "emulated-iommu-enforced" },
    )
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
      { _tag: "GuestWriteVfCap", vm: "vm1", rid: vf1, field: "pasidEnable", value: false },
      { _tag: "GuestStage1Map", vm: "vm1", table: 1, iova: 0x1000, gpa: 0x1000 },
      { _tag: "GuestAttachStage1", vm: "vm1", vrid: "00:01.0", pasid: 1, table: 1 },
      { _tag: "DeviceDmaRead", rid: vf1, pasid: 1, iova: 0x1000 },
    ])
    expect(r.findings).toEqual([])
    expect(r.steps.at(-1)?.outcome).toEqual({ _tag: "Faulted", reason: `${vf1}'s PASID 1 entry is disabled` })
  })

  it("6. the VMM programming the MSI-X table of a TDI in RUN moves the TDI to ERROR", () => {
    const s = variant("tdisp-flip-by-rebind", (f) => (f.kind === "vf" ? { ...f, msix: 1 } : f))
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "GuestTsmRequest", vm: "vm1", rid: vf1, request: "LOCK_INTERFACE" },
      { _tag: "GuestTsmRequest", vm: "vm1", rid: vf1, request: "START_INTERFACE" },
      { _tag: "GuestRequestInterrupt", vm: "vm1", iface: vf1, entry: 0, vector: 0 },
      ...advance(`irte:${vf1}:0`, 2),
      { _tag: "GuestTrustFlip", vm: "vm1", rid: vf1 },
    ])
    expect(r.findings).toEqual([])
    expect(r.steps[5]?.events).toContainEqual({
      _tag: "TdiStateChanged",
      rid: vf1,
      from: "RUN",
      to: "ERROR",
      by: "config change",
    })
    expect(r.final.functions.find((f) => f.rid === vf1)?.tdi?.state).toBe("ERROR")
  })
})

describe("findings of the pairwise sweep and the catalogue's random search run clean", () => {
  it("an unmap during a PASID teardown still invalidates the PASID's ATC entries (the cache tag outlives the entry)", () => {
    const s = variant("sriov-ats-strict", (f) => (f.kind === "pf" ? { ...f, pasidPri: true } : f), { pasids: [1] })
    const pid = "unmap:vm1:0x1000"
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "GuestWriteVfCap", vm: "vm1", rid: vf1, field: "pasidEnable", value: true },
      ...advance(`pasidcfg:${vf1}`, 4),
      { _tag: "HostBindPasid", rid: vf1, pasid: 1, vm: "vm1" },
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
      { _tag: "DeviceTranslationRequest", rid: vf1, iova: 0x1000, pasid: 1 },
      { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 },
      { _tag: "HostUnbindPasid", rid: vf1, pasid: 1 },
      ...advance(pid, 2),
      { _tag: "DeviceCompleteAtsInvalidation", rid: vf1 },
      { _tag: "DeviceCompleteAtsInvalidation", rid: vf1 },
      ...advance(pid, 2),
      { _tag: "DeviceTranslatedRead", rid: vf1, iova: 0x1000, pasid: 1 },
    ])
    expect(r.findings).toEqual([])
    expect(r.steps[10]?.events).toContainEqual({ _tag: "PasidEntryCleared", rid: vf1, pasid: 1 })
    expect(r.steps.slice(11).flatMap((x) => x.events)).toContainEqual(
      expect.objectContaining({ _tag: "AtsInvalidationSent", rid: vf1, pasid: 1, iova: 0x1000 }),
    )
    expect(r.final.functions.find((f) => f.rid === vf1)?.ats.atc).toEqual([])
  })

  it("the host cannot unbind a sub-device's PASID as if it were a binding of its parent", () => {
    const s = scenario("siov-ats-pasid-invalidation")
    const adi = s.topology.subdevices?.[0]
    expect(adi).toBeDefined()
    if (adi === undefined) return
    const r = runCommands({ ...s, topology: { ...s.topology, pasids: [adi.pasid] } }, [
      { _tag: "HostAssignSubdevice", sub: adi.id, vm: "vm1" },
      { _tag: "HostUnbindPasid", rid: adi.parent, pasid: adi.pasid },
    ])
    expect(r.steps[1]?.outcome).toEqual({
      _tag: "Rejected",
      reason: `PASID ${adi.pasid} of ${adi.parent} is ${adi.id}'s`,
    })
  })

  it("assigning a function the host's identity domain held flushes the cached pass-through entry", () => {
    const s = scenario("lifecycle-release-host-identity")
    const r = runCommands(s, [
      assign("vm1"),
      { _tag: "DevicePostWrite", rid: vf1, iova: 0x1000 },
      { _tag: "HostReleaseFunction", rid: vf1 },
      ...advance(`release:${vf1}`, 8),
      { _tag: "DeviceWriteArrives", rid: vf1 },
      assign("vm1"),
    ])
    expect(r.steps.at(-2)?.events.some((e) => e._tag === "DmaCompleted")).toBe(true)
    expect(r.findings.map((f) => f.property)).toEqual(["dma-isolation"])
    expect(r.steps.at(-1)?.events).toContainEqual(
      expect.objectContaining({ _tag: "EntryCacheInvalidated", rid: vf1, dropped: 1 }),
    )
    expect(r.final.iommu.cache.context).toEqual([])
  })
})
