/**
 * Issue 18 (adversarial devices and messy topologies): what a malicious device sends and what
 * stops it, DMA aliases and IOMMU groups, peer-to-peer routing, firmware unity maps and
 * PASID-tagged ATS of ADIs, each checked on the mechanism (events and state), and the findings
 * only the unsafe alternative gives.
 */
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import type { Command } from "../model/command.ts"
import { Topology } from "../model/topology.ts"
import type { Scenario } from "../scenarios/scenario.ts"
import { runCommands, scenario, withPolicy } from "./helpers.ts"

const advance = (pid: string, n = 1): ReadonlyArray<Command> =>
  Array.from({ length: n }, () => ({ _tag: "HostAdvance", pid }) as const)
const violated = (s: Scenario, commands: ReadonlyArray<Command>): ReadonlyArray<string> =>
  runCommands(s, commands).findings.map((f) => f.property)

describe("a malicious function", () => {
  const s = scenario("adversary-untrusted-ats-disabled")
  const vf = "01:00.1"

  it("sends requests with Bus Master Enable clear, where an honest one sends none", () => {
    const cleared = {
      ...s,
      topology: { ...s.topology, functions: s.topology.functions.map((f) => ({ ...f, bme: false })) },
    }
    const dma: Command = { _tag: "DeviceDmaRead", rid: vf, iova: 0x1000 }
    expect(runCommands(cleared, [{ _tag: "HostAssignFunction", rid: vf, vm: "vm1" }, dma]).steps[1]?.outcome._tag).toBe(
      "Faulted",
    )
    const honest = {
      ...cleared,
      topology: { ...cleared.topology, functions: cleared.topology.functions.map(({ malicious: _, ...f }) => f) },
    }
    expect(runCommands(honest, [{ _tag: "HostAssignFunction", rid: vf, vm: "vm1" }, dma]).steps[1]?.outcome).toEqual({
      _tag: "Rejected",
      reason: `${vf} has Bus Master Enable clear`,
    })
  })

  it("forges a translated request that faults while the host keeps ATS off an untrusted device", () => {
    const forge: Command = { _tag: "DeviceForgeTranslated", rid: vf, page: 1, access: "write" }
    const r = runCommands(s, [{ _tag: "HostAssignFunction", rid: vf, vm: "vm1" }, forge])
    expect(r.final.iommu.context).toContainEqual({ rid: vf, kind: "translated", did: 1, ats: false })
    expect(r.steps[1]?.outcome._tag).toBe("Faulted")
    expect(r.findings).toEqual([])
    const enabled = runCommands(withPolicy(s, { untrustedAts: "enabled" }), [
      { _tag: "HostAssignFunction", rid: vf, vm: "vm1" },
      forge,
    ])
    expect(enabled.findings.map((f) => f.message)).toEqual([
      "malicious VF 01:00.1 (vm1) wrote HPA page 1 owned by vm2 through a translated request it forged (no Translation Completion ever gave it this address)",
    ])
  })

  it("reaches nothing while the host owns it behind a blocking context", () => {
    expect(violated(s, [{ _tag: "DeviceDmaWrite", rid: vf, iova: 0x1000 }])).toEqual([])
  })

  it("an honest function cannot forge", () => {
    const r = runCommands(scenario("sriov-ats-strict"), [
      { _tag: "DeviceForgeTranslated", rid: vf, page: 0, access: "read" },
    ])
    expect(r.steps[0]?.outcome._tag).toBe("Rejected")
  })
})

describe("DMA aliases and IOMMU groups", () => {
  const s = scenario("adversary-alias-group-aware")
  const [a, b] = ["03:01.0", "03:02.0"]

  it("group-aware: assigning one device assigns its group, alias context entry included", () => {
    const r = runCommands(s, [{ _tag: "HostAssignFunction", rid: a, vm: "vm1" }])
    expect(r.final.functions.map((f) => f.owner)).toEqual(["vm1", "vm1"])
    expect(r.final.iommu.context.map((e) => e.rid)).toEqual(["03:00.0", a, b])
    expect(
      runCommands(s, [
        { _tag: "HostAssignFunction", rid: a, vm: "vm1" },
        { _tag: "HostAssignFunction", rid: b, vm: "vm2" },
      ]).steps[1]?.outcome._tag,
    ).toBe("Rejected")
  })

  it("group-aware: a release gives the group back whole", () => {
    const r = runCommands(s, [
      { _tag: "HostAssignFunction", rid: a, vm: "vm1" },
      { _tag: "HostReleaseFunction", rid: b },
      ...advance(`release:${b}`, 9),
    ])
    expect(r.final.functions.map((f) => f.owner)).toEqual(["host", "host"])
    expect(r.final.iommu.context).toEqual([])
    expect(r.findings).toEqual([])
  })

  it("per-function: the alias entry takes the domain attached last, so the first VM's device writes the second VM's page", () => {
    const p = withPolicy(s, { iommuGroups: "per-function" })
    const r = runCommands(p, [
      { _tag: "HostAssignFunction", rid: a, vm: "vm1" },
      { _tag: "HostAssignFunction", rid: b, vm: "vm2" },
      { _tag: "HostMapIova", vm: "vm2", iova: 0x1000, page: 1 },
      { _tag: "DeviceDmaWrite", rid: a, iova: 0x1000 },
    ])
    expect(r.final.iommu.context.find((e) => e.rid === "03:00.0")).toEqual({
      rid: "03:00.0",
      kind: "translated",
      did: 2,
      ats: false,
    })
    expect(r.findings.map((f) => f.message)).toEqual([
      "PF 03:01.0 (vm1) wrote HPA page 1 owned by vm2 through a page walk for IOVA 0x1000",
    ])
  })

  it("an assignment rewrites every alias entry of the device, the host identity domain's included", () => {
    const released = withPolicy(s, { releaseDomain: "host-identity" })
    const r = runCommands(released, [
      { _tag: "HostAssignFunction", rid: a, vm: "vm1" },
      { _tag: "HostReassignFunction", rid: a, vm: "vm2" },
      ...advance(`release:${a}`, 9),
    ])
    expect(r.final.iommu.context.filter((e) => e.kind !== "translated" || e.did === undefined)).toEqual([])
    expect(r.final.functions.map((f) => f.owner)).toEqual(["vm2", "vm2"])
  })

  it("per-function: devices behind one conventional bridge reach each other's BARs around the IOMMU", () => {
    const r = runCommands(withPolicy(s, { iommuGroups: "per-function" }), [
      { _tag: "HostAssignFunction", rid: a, vm: "vm1" },
      { _tag: "HostAssignFunction", rid: b, vm: "vm2" },
      { _tag: "DevicePeerRequest", rid: a, peer: b, access: "write" },
    ])
    expect(r.steps[2]?.events).toEqual([
      { _tag: "PeerRequestCompleted", rid: a, peer: b, access: "write", path: "direct" },
    ])
    expect(r.findings.map((f) => f.property)).toEqual(["dma-isolation"])
  })

  it("with ACS between them, a peer request goes up to the IOMMU and reaches only the same VM's function", () => {
    const vfs = scenario("sriov-ats-strict")
    const r = runCommands(vfs, [
      { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" },
      { _tag: "HostAssignFunction", rid: "01:00.2", vm: "vm2" },
      { _tag: "DevicePeerRequest", rid: "01:00.1", peer: "01:00.2", access: "write" },
    ])
    expect(r.steps[2]?.outcome._tag).toBe("Faulted")
    expect(r.findings).toEqual([])
  })
})

describe("firmware unity maps (RMRR)", () => {
  const s = scenario("adversary-rmrr-refuse")
  const vf = "01:00.1"
  const assign: Command = { _tag: "HostAssignFunction", rid: vf, vm: "vm1" }

  it("refuse: the host keeps the device", () => {
    expect(runCommands(s, [assign]).steps[0]?.outcome._tag).toBe("Rejected")
  })

  it("drop: the VM's domain gets no unity map", () => {
    const r = runCommands(withPolicy(s, { rmrrOnAssign: "drop-unity-map" }), [
      assign,
      { _tag: "DeviceDmaWrite", rid: vf, iova: 0x1000 },
    ])
    expect(r.final.iommu.domains.flatMap((d) => d.ptes)).toEqual([])
    expect(r.findings).toEqual([])
  })

  it("keep: the unity map enters the VM's domain, the VMM can neither replace nor unmap it, and the device reaches the host's page", () => {
    const r = runCommands(withPolicy(s, { rmrrOnAssign: "keep-unity-map" }), [
      assign,
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
      { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 },
      { _tag: "DeviceDmaWrite", rid: vf, iova: 0x1000 },
    ])
    expect(r.final.iommu.domains.flatMap((d) => d.ptes)).toEqual([{ iova: 0x1000, page: 1, base: 0x1000, unity: true }])
    expect(r.steps[1]?.outcome._tag).toBe("Rejected")
    expect(r.steps[2]?.outcome._tag).toBe("Rejected")
    expect(r.findings.map((f) => f.property)).toEqual(["dma-isolation"])
  })

  it("keep: a unity map that would replace the VM's own mapping fails the attach", () => {
    const r = runCommands(withPolicy(s, { rmrrOnAssign: "keep-unity-map" }), [
      { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
      assign,
    ])
    expect(r.steps[1]?.outcome._tag).toBe("Rejected")
  })
})

describe("PASID-tagged ATS of ADIs", () => {
  const s = scenario("siov-ats-pasid-invalidation")
  const setup: ReadonlyArray<Command> = [
    { _tag: "HostAssignSubdevice", sub: "adi1", vm: "vm1" },
    { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 },
    { _tag: "SubdeviceTranslationRequest", sub: "adi1", iova: 0x1000 },
    { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 },
  ]

  it("fills the parent's ATC under the ADI's PASID, and the unmap invalidates it with that PASID", () => {
    const r = runCommands(s, [
      ...setup,
      ...advance("unmap:vm1:0x1000", 2),
      { _tag: "DeviceCompleteAtsInvalidation", rid: "01:00.0" },
      ...advance("unmap:vm1:0x1000", 2),
    ])
    expect(r.steps[2]?.events).toContainEqual({ _tag: "AtcFilled", rid: "01:00.0", pasid: 1, iova: 0x1000, page: 0 })
    expect(r.steps[5]?.events).toContainEqual(
      expect.objectContaining({ _tag: "AtsInvalidationSent", pasid: 1, iova: 0x1000 }),
    )
    expect(r.final.functions[0]?.ats.atc).toEqual([])
    expect(r.findings).toEqual([])
  })

  it("a driver that invalidates only RID attachments leaves the ADI's translation to a freed page", () => {
    const unsafe = scenario("siov-ats-rid-only-invalidation")
    const r = runCommands(unsafe, [
      ...setup,
      ...advance("unmap:vm1:0x1000", 4),
      { _tag: "SubdeviceTranslatedRead", sub: "adi1", iova: 0x1000 },
    ])
    expect(r.findings.map((f) => f.property)).toContain("dma-isolation")
  })
})

describe("topology validation", () => {
  const base = scenario("adversary-alias-group-aware").topology
  const decode = (t: unknown) => Schema.decodeUnknownExit(Topology)(t)._tag

  it("accepts the catalogue's messy topologies", () => {
    expect(decode(base)).toBe("Success")
  })

  it.each([
    [
      "a VF with a DMA alias",
      {
        ...base,
        functions: [
          { rid: "01:00.0", kind: "pf", ats: false },
          { rid: "01:00.1", kind: "vf", pf: "01:00.0", ats: false, requesterId: "03:00.0" },
        ],
      },
    ],
    [
      "an aliased device with ATS",
      { ...base, functions: [{ rid: "03:01.0", kind: "pf", ats: true, requesterId: "03:00.0" }] },
    ],
    [
      "an untrusted device with a pass-through context",
      {
        ...base,
        functions: [{ rid: "03:01.0", kind: "pf", ats: false, untrusted: true, hostContext: "pass-through" }],
      },
    ],
    ["an RMRR on a VM's page", { ...base, functions: [{ rid: "03:01.0", kind: "pf", ats: false, rmrr: [0] }] }],
    [
      "an RMRR outside the IOVAs",
      { ...base, pages: ["vm1", "vm2", "host"], functions: [{ rid: "03:01.0", kind: "pf", ats: false, rmrr: [2] }] },
    ],
  ])("rejects %s", (_what, t) => {
    expect(decode(t)).toBe("Failure")
  })
})
