import { describe, expect, it } from "vitest"
import { runCommands, scenario, stepsIn, withPolicy } from "../../test/helpers.ts"
import type { Command } from "../command.ts"
import { enabled } from "../enabled.ts"
import { defaultPolicy } from "../policy.ts"
import type { Scenario } from "../../scenarios/scenario.ts"
import { unmapPreset } from "./unmap.ts"

const strict = scenario("sriov-ats-strict")
const assign: Command = { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }
const map: Command = { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 }
const unmap: Command = { _tag: "HostUnmapIova", vm: "vm1", iova: 0x1000 }
const advance: Command = { _tag: "HostAdvance", pid: "unmap:vm1:0x1000" }

/** The PF of the no-FLR scenarios. */
const pf = "01:00.0"

/**
 * The no-FLR scenarios' PF goes to vm1, which maps 0x1000; the PF caches its translation (and then
 * hangs, with `hang`), and vfio reassigns it to vm2, running `advances` operations of the release.
 */
const pfToVm2 = (advances: number, hang = false): ReadonlyArray<Command> => [
  { _tag: "HostAssignFunction", rid: pf, vm: "vm1" },
  map,
  { _tag: "DeviceTranslationRequest", rid: pf, iova: 0x1000 },
  ...(hang ? [{ _tag: "DeviceHang", rid: pf } as const] : []),
  { _tag: "HostReassignFunction", rid: pf, vm: "vm2" },
  ...Array.from({ length: advances }, (): Command => ({ _tag: "HostAdvance", pid: `release:${pf}` })),
]

/** `s` with every function given its reset method back (no `flr: false`). */
const withReset = (s: Scenario): Scenario => ({
  ...s,
  topology: { ...s.topology, functions: s.topology.functions.map(({ flr: _, ...f }) => f) },
})

describe("VFIO actions", () => {
  it("assigns a host-owned VF to a VM and points its context entry at the VM's DID", () => {
    const { state, last } = stepsIn(strict, [assign])
    expect(last?.outcome._tag).toBe("Ok")
    expect(state.functions.find((f) => f.rid === "01:00.1")?.owner).toBe("vm1")
    expect(state.iommu.context).toEqual([{ rid: "01:00.1", kind: "translated", did: 1, ats: true }])
  })

  it("rejects assigning a PF, a VF twice, an unknown VM", () => {
    expect(stepsIn(strict, [{ _tag: "HostAssignFunction", rid: "01:00.0", vm: "vm1" }]).last?.outcome._tag).toBe(
      "Rejected",
    )
    expect(stepsIn(strict, [assign, { ...assign, vm: "vm2" }]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(strict, [{ ...assign, vm: "vm9" }]).last?.outcome._tag).toBe("Rejected")
  })

  it("rejects assigning or reassigning a surprise-removed function, and still releases it", () => {
    const removal: Command = { _tag: "DeviceSurpriseRemoval", rid: "01:00.1" }
    const removedThenAssigned = stepsIn(strict, [removal, assign])
    expect(removedThenAssigned.last?.outcome).toMatchObject({ _tag: "Rejected", reason: "01:00.1 has been removed" })
    expect(removedThenAssigned.state.functions.find((f) => f.rid === "01:00.1")?.owner).toBe("host")
    const reassign: Command = { _tag: "HostReassignFunction", rid: "01:00.1", vm: "vm2" }
    expect(stepsIn(strict, [assign, removal, reassign]).last?.outcome._tag).toBe("Rejected")
    const release: Command = { _tag: "HostReleaseFunction", rid: "01:00.1" }
    expect(stepsIn(strict, [assign, removal, release]).last?.outcome._tag).not.toBe("Rejected")
  })

  it("resets the function on assignment as vfio's open does, even after a release program without reset", () => {
    // vfio_pci_core_enable calls pci_try_reset_function: the next owner gets an empty ATC, and the
    // reset is an event of the step, not a silent change.
    const release = ["clear-bme", "free-irtes", "wait-idle", "unbind-pasids", "invalidate-pasid-cache", "drain-prq"]
    const after = ["detach", "invalidate-context-cache", "attach"]
    const noReset = { ...strict, procedures: { release: [...release, ...after] } } as typeof strict
    const tr: Command = { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 0x1000 }
    const reassign: Command = { _tag: "HostReassignFunction", rid: "01:00.1", vm: "vm2" }
    const step: Command = { _tag: "HostAdvance", pid: "release:01:00.1" }
    const beforeAttach = [assign, map, tr, reassign, ...Array.from({ length: release.length + 1 }, () => step)]
    const atc = (r: ReturnType<typeof stepsIn>) => r.state.functions.find((f) => f.rid === "01:00.1")?.ats.atc
    expect(atc(stepsIn(noReset, beforeAttach))).toHaveLength(1)
    const attached = stepsIn(noReset, [...beforeAttach, step])
    expect(attached.state.functions.find((f) => f.rid === "01:00.1")?.owner).toBe("vm2")
    expect(atc(attached)).toEqual([])
    expect(attached.last?.events).toContainEqual({
      _tag: "FunctionReset",
      rid: "01:00.1",
      atcEntries: 1,
      invalidations: 0,
    })
  })

  it("resets nothing of a function with no reset method: its ATC outlives the release, the guest's reset fails", () => {
    // pci_reset_function returns -ENOTTY: vfio's close and open go on without a reset and
    // VFIO_DEVICE_RESET fails, so what an FLR would empty stays.
    const noFlr = scenario("lifecycle-reassign-no-flr")
    const steps = pfToVm2(9)
    const done = stepsIn(noFlr, steps)
    const fn = done.state.functions.find((f) => f.rid === pf)
    expect(fn?.owner).toBe("vm2")
    expect(fn?.ats.atc).toEqual([{ iova: 0x1000, page: 0 }])
    expect(done.last?.events).toContainEqual({ _tag: "FunctionNotReset", rid: pf, atcEntries: 1 })
    const reset: Command = { _tag: "GuestResetFunction", vm: "vm2", rid: pf }
    expect(stepsIn(noFlr, [...steps, reset]).last?.outcome).toMatchObject({
      _tag: "Rejected",
      reason: `${pf} has no reset method: VFIO_DEVICE_RESET fails`,
    })
    expect(enabled(done.state)).not.toContainEqual(reset)
    // The same device with a reset method: the guest's reset is offered and empties the ATC.
    const withFlr = withReset(noFlr)
    const flrd = stepsIn(withFlr, steps)
    expect(flrd.state.functions.find((f) => f.rid === pf)?.ats.atc).toEqual([])
    expect(enabled(flrd.state)).toContainEqual(reset)
  })

  it("keeps the ATS fence of a hung function with no reset method through its next attachment", () => {
    // Nothing can empty its ATC: neither an Invalidation Completion nor a reset will come, so the
    // next VM's context entry accepts no translated request of it.
    const fixed = scenario("lifecycle-reassign-no-flr-atc-invalidated")
    const steps = pfToVm2(11, true)
    const done = stepsIn(fixed, steps)
    const fn = done.state.functions.find((f) => f.rid === pf)
    expect(fn?.owner).toBe("vm2")
    expect(fn?.atsFenced).toBe(true)
    expect(fn?.ats.atc).toHaveLength(1)
    expect(done.state.iommu.context.find((e) => e.rid === pf)).toMatchObject({ kind: "translated", ats: false })
    const read: Command = { _tag: "DeviceTranslatedRead", rid: pf, iova: 0x1000 }
    expect(stepsIn(fixed, [...steps, read]).last?.events).toContainEqual(
      expect.objectContaining({ _tag: "DmaFaulted" }),
    )
    expect(runCommands(fixed, [...steps, read]).findings).toEqual([])
    // The same hang with a reset method: vfio's open resets the function and ATS is trusted again.
    const reset = stepsIn(withReset(fixed), steps)
    expect(reset.state.functions.find((f) => f.rid === pf)?.atsFenced).toBeUndefined()
    expect(reset.state.iommu.context.find((e) => e.rid === pf)).toMatchObject({ kind: "translated", ats: true })
  })

  it("passes a guest's Bus Master Enable write through to its assigned PF, as to a VF (vfio_pci_config.c)", () => {
    const write: Command = { _tag: "GuestWriteBme", vm: "vm1", iface: pf, enable: false }
    const r = stepsIn(scenario("lifecycle-reassign-no-flr"), [
      { _tag: "HostAssignFunction", rid: pf, vm: "vm1" },
      write,
    ])
    expect(r.last?.events).toContainEqual({ _tag: "BmeWritten", rid: pf, enable: false })
    expect(r.state.functions.find((f) => f.rid === pf)?.bme).toBe(false)
  })

  it("maps only the VM's own pages, once per IOVA", () => {
    expect(stepsIn(strict, [map]).last?.outcome._tag).toBe("Ok")
    expect(stepsIn(strict, [{ ...map, page: 1 }]).last?.outcome).toMatchObject({ _tag: "Rejected" })
    expect(stepsIn(strict, [map, map]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(strict, [{ ...map, iova: 0x9000 }]).last?.outcome._tag).toBe("Rejected")
  })

  it("allocates only free pages", () => {
    expect(stepsIn(strict, [{ _tag: "HostAllocatePage", page: 2, vm: "vm2" }]).state.memory[2]).toBe("vm2")
    expect(stepsIn(strict, [{ _tag: "HostAllocatePage", page: 0, vm: "vm2" }]).last?.outcome._tag).toBe("Rejected")
  })
})

describe("the unmap procedure", () => {
  it("takes the program the knobs preset", () => {
    const names = (policy: Partial<typeof defaultPolicy>) =>
      unmapPreset({ ...defaultPolicy, ...policy }).map((o) => o.op)
    expect(names({ invalidationOrder: "iotlb-then-atc", atcInvalidation: "on" })).toEqual([
      "clear-pte",
      "invalidate-iotlb",
      "invalidate-atc",
      "wait-atc",
      "free-page",
    ])
    expect(names({ invalidationOrder: "atc-then-iotlb", atcInvalidation: "on" })).toEqual([
      "clear-pte",
      "invalidate-atc",
      "wait-atc",
      "invalidate-iotlb",
      "free-page",
    ])
    expect(names({ invalidationOrder: "iotlb-then-atc", atcInvalidation: "skip" })).toEqual([
      "clear-pte",
      "invalidate-iotlb",
      "free-page",
    ])
  })

  it("clears the PTE at once, waits for the device, and frees the page last", () => {
    const tr: Command = { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 0x1000 }
    const started = stepsIn(strict, [assign, map, tr, unmap])
    expect(started.state.iommu.domains[0]?.ptes).toEqual([])
    expect(started.state.host.procedures.map((p) => p.pid)).toEqual(["unmap:vm1:0x1000"])
    const sent = stepsIn(strict, [assign, map, tr, unmap, advance, advance])
    expect(sent.state.iommu.iotlb).toEqual([])
    expect(sent.state.functions.find((f) => f.rid === "01:00.1")?.ats.invalidations).toHaveLength(1)
    const blocked = stepsIn(strict, [assign, map, tr, unmap, advance, advance, advance])
    expect(blocked.last?.outcome._tag).toBe("Waiting")
    expect(blocked.state.memory[0]).toBe("vm1")
    const done = stepsIn(strict, [
      assign,
      map,
      tr,
      unmap,
      advance,
      advance,
      { _tag: "DeviceCompleteAtsInvalidation", rid: "01:00.1" },
      advance,
      advance,
    ])
    expect(done.state.memory[0]).toBe("free")
    expect(done.state.host.procedures).toEqual([])
    expect(done.last?.events.map((e) => e._tag)).toEqual(["UnmapCompleted", "PageFreed"])
  })

  it("keeps a page mapped at two IOVAs pinned until both unmaps are done", () => {
    const noAtc = withPolicy(strict, { atcInvalidation: "skip" })
    const second: Command = { _tag: "HostMapIova", vm: "vm1", iova: 0x2000, page: 0 }
    const { state, last } = stepsIn(noAtc, [map, second, unmap, advance, advance])
    expect(last?.events.map((e) => e._tag)).toEqual(["UnmapCompleted"])
    expect(state.memory[0]).toBe("vm1")
  })

  it("refuses to remap an IOVA whose unmap is in flight, and to advance nothing", () => {
    expect(stepsIn(strict, [map, unmap, map]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(strict, [advance]).last?.outcome._tag).toBe("Rejected")
  })
})
