import { describe, expect, it } from "vitest"
import { scenario, stepsIn, withPolicy } from "../../test/helpers.ts"
import type { Command } from "../command.ts"

const t0 = scenario("tdisp-t0-shared-only")
const rebind = scenario("tdisp-flip-by-rebind")
const assign: Command = { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm1" }
const tsm = (
  request: "LOCK_INTERFACE" | "START_INTERFACE" | "STOP_INTERFACE",
  vm = "vm1",
): Extract<Command, { _tag: "GuestTsmRequest" }> => ({ _tag: "GuestTsmRequest", vm, rid: "01:00.1", request })
const lock = tsm("LOCK_INTERFACE")
const start = tsm("START_INTERFACE")
const stop = tsm("STOP_INTERFACE")
const tdiState = (cmds: ReadonlyArray<Command>, s = t0) =>
  stepsIn(s, cmds).state.functions.find((f) => f.rid === "01:00.1")?.tdi?.state

describe("TDI state machine (TDISP ECN §11.2)", () => {
  it("CONFIG_UNLOCKED -> CONFIG_LOCKED -> RUN -> CONFIG_UNLOCKED", () => {
    expect(tdiState([assign])).toBe("CONFIG_UNLOCKED")
    expect(tdiState([assign, lock])).toBe("CONFIG_LOCKED")
    expect(tdiState([assign, lock, start])).toBe("RUN")
    expect(tdiState([assign, lock, start, stop])).toBe("CONFIG_UNLOCKED")
    expect(tdiState([assign, lock, stop])).toBe("CONFIG_UNLOCKED")
  })

  it.each([
    ["START_INTERFACE from CONFIG_UNLOCKED", [assign, start]],
    ["LOCK_INTERFACE from CONFIG_LOCKED", [assign, lock, lock]],
    ["LOCK_INTERFACE from RUN", [assign, lock, start, lock]],
    ["START_INTERFACE from RUN", [assign, lock, start, start]],
  ] as const)("rejects %s", (_name, cmds) => {
    expect(stepsIn(t0, cmds).last?.outcome._tag).toBe("Rejected")
  })

  it("rejects TSM requests from a VM that is not confidential or does not own the TDI", () => {
    const other: Command = { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm2" }
    expect(stepsIn(t0, [other, tsm("LOCK_INTERFACE", "vm2")]).last?.outcome).toEqual({
      _tag: "Rejected",
      reason: "vm2 is not a confidential VM: no TSM to talk to",
    })
    expect(stepsIn(t0, [other, lock]).last?.outcome._tag).toBe("Rejected")
  })

  it("a host change of locked configuration moves a RUN TDI to ERROR, unless the device ignores it", () => {
    const bme: Command = { _tag: "HostWriteTdiConfig", rid: "01:00.1", field: "bme", value: false }
    expect(tdiState([assign, lock, start, bme])).toBe("ERROR")
    expect(tdiState([assign, lock, bme])).toBe("ERROR")
    expect(tdiState([assign, bme])).toBe("CONFIG_UNLOCKED")
    expect(tdiState([assign, lock, start, bme], withPolicy(t0, { tdiErrorOnConfigChange: "ignored" }))).toBe("RUN")
  })
})

describe("the two DMA paths and the DMA API", () => {
  const share: Command = { _tag: "GuestConvertPage", vm: "vm1", page: 0, to: "shared" }
  const mapShared: Command = { _tag: "GuestDmaMap", vm: "vm1", rid: "01:00.1", page: 0 }
  const mapPrivate: Command = { _tag: "GuestDmaMap", vm: "vm1", rid: "01:00.1", page: 1 }
  const dma: Command = { _tag: "DeviceDmaHandle", rid: "01:00.1", handle: 1, access: "write" }

  it("T=0 handles need shared pages and go through the host tables, which map only shared pages at their GPA", () => {
    expect(stepsIn(t0, [assign, mapPrivate]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(t0, [{ _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 1 }]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(t0, [share, { _tag: "HostMapIova", vm: "vm1", iova: 0x1000, page: 0 }]).last?.outcome._tag).toBe(
      "Rejected",
    )
    const { last } = stepsIn(t0, [assign, share, { _tag: "HostMapIova", vm: "vm1", iova: 0, page: 0 }, mapShared, dma])
    expect(last?.events).toEqual([
      { _tag: "DmaCompleted", rid: "01:00.1", access: "write", iova: 0, page: 0, path: "walk", t: 0, handle: 1 },
    ])
  })

  it("a page mapped in host tables, or being unmapped, cannot become private", () => {
    const map: Command = { _tag: "HostMapIova", vm: "vm1", iova: 0, page: 0 }
    const priv: Command = { _tag: "GuestConvertPage", vm: "vm1", page: 0, to: "private" }
    expect(stepsIn(t0, [share, map, priv]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(t0, [share, map, { _tag: "HostUnmapIova", vm: "vm1", iova: 0 }, priv]).last?.outcome._tag).toBe(
      "Rejected",
    )
  })

  it("after a flip, T=1 handles go through the vIOMMU, and only from a RUN TDI", () => {
    const ready = [assign, lock, start, { _tag: "GuestTrustFlip", vm: "vm1", rid: "01:00.1" } as const, mapPrivate]
    expect(stepsIn(rebind, [...ready, dma]).last?.events).toEqual([
      { _tag: "DmaCompleted", rid: "01:00.1", access: "write", iova: 0, page: 1, path: "trusted", t: 1, handle: 1 },
    ])
    const err: Command = { _tag: "HostWriteTdiConfig", rid: "01:00.1", field: "ats", value: true }
    expect(stepsIn(rebind, [...ready, err, dma]).last?.outcome).toEqual({
      _tag: "Faulted",
      reason: "T=1 request from a TDI in ERROR",
    })
  })

  it("a flip is refused unless the TDI is RUN, and under the forbidding policy", () => {
    const flip: Command = { _tag: "GuestTrustFlip", vm: "vm1", rid: "01:00.1" }
    expect(stepsIn(rebind, [assign, lock, flip]).last?.outcome._tag).toBe("Rejected")
    expect(stepsIn(t0, [assign, lock, start, flip]).last?.outcome).toEqual({
      _tag: "Rejected",
      reason: "flipping a bound device is forbidden",
    })
  })

  it("rebind unmaps every handle; in-flight keeps them and unmaps with the new ops", () => {
    const flip: Command = { _tag: "GuestTrustFlip", vm: "vm1", rid: "01:00.1" }
    const before = [assign, share, lock, mapShared, start, flip]
    const handles = (s = rebind) => stepsIn(s, before).state.guests[0]?.dma[0]?.handles
    expect(handles()).toEqual([])
    expect(handles(scenario("tdisp-flip-in-flight"))).toEqual([{ id: 1, iova: 0, page: 0, mode: 0 }])
    const { last } = stepsIn(scenario("tdisp-flip-in-flight"), [
      ...before,
      mapPrivate,
      { _tag: "GuestDmaUnmap", vm: "vm1", rid: "01:00.1", handle: 1 },
    ])
    expect(last?.events[0]).toMatchObject({ _tag: "DmaUnmapped", handle: 1, page: 0, removed: [{ iova: 0, page: 1 }] })
  })

  it("the window rule translates T=1 addresses to the TVM's own private pages only", () => {
    const window = scenario("tdisp-window-no-viommu")
    const ready = [assign, lock, start, { _tag: "GuestTrustFlip", vm: "vm1", rid: "01:00.1" } as const, mapPrivate]
    expect(stepsIn(window, [...ready, dma]).last?.events[0]).toMatchObject({ iova: 0x1000, page: 1, path: "trusted" })
  })
})
