import { describe, expect, it } from "vitest"
import { decodeInterrupt, type InterruptRemapping, invalidateIec, type Irte, writeIrte } from "./interrupt-remapping.ts"

const irte: Irte = { dest: "vm2", vector: 0, sid: "01:00.2", svt: "full", pasid: undefined }
const ir: InterruptRemapping = writeIrte({ irt: [null, null], iec: [] }, 0, irte)

describe("interrupt remapping (VT-d 4.x ch. 5)", () => {
  it("delivers a remappable message whose RID passes SID validation, and caches the IRTE", () => {
    const { ir: next, decoded } = decodeInterrupt(ir, true, { _tag: "Remappable", handle: 0 }, "01:00.2", undefined)
    expect(decoded).toEqual({ _tag: "Delivered", dest: "vm2", vector: 0, via: "IRTE 0" })
    expect(next.iec).toEqual([{ handle: 0, irte }])
  })

  it("blocks a RID that fails SID validation, an absent IRTE, and compatibility format", () => {
    expect(decodeInterrupt(ir, true, { _tag: "Remappable", handle: 0 }, "01:00.1", undefined).decoded).toEqual({
      _tag: "Blocked",
      reason: "SID 01:00.1 fails IRTE 0 (SID 01:00.2)",
    })
    expect(decodeInterrupt(ir, true, { _tag: "Remappable", handle: 1 }, "01:00.2", undefined).decoded._tag).toBe(
      "Blocked",
    )
    expect(
      decodeInterrupt(ir, true, { _tag: "Compatibility", dest: "vm2", vector: 0 }, "01:00.2", undefined).decoded._tag,
    ).toBe("Blocked")
  })

  it("checks nothing when the IRTE does not validate the source (SVT=00b)", () => {
    const lax = writeIrte(ir, 0, { ...irte, svt: "none" })
    expect(decodeInterrupt(lax, true, { _tag: "Remappable", handle: 0 }, "01:00.1", undefined).decoded._tag).toBe(
      "Delivered",
    )
  })

  it("validates (SID, PASID) when the IRTE holds a PASID", () => {
    const tagged = writeIrte(ir, 0, { ...irte, sid: "01:00.0", pasid: 2 })
    const msg = { _tag: "Remappable", handle: 0 } as const
    expect(decodeInterrupt(tagged, true, msg, "01:00.0", 2).decoded._tag).toBe("Delivered")
    expect(decodeInterrupt(tagged, true, msg, "01:00.0", 1).decoded).toEqual({
      _tag: "Blocked",
      reason: "PASID 1 fails IRTE 0 (PASID 2)",
    })
    expect(decodeInterrupt(tagged, true, msg, "01:00.0", undefined).decoded._tag).toBe("Blocked")
  })

  it("with remapping off delivers compatibility messages where they point and drops remappable ones", () => {
    expect(
      decodeInterrupt(ir, false, { _tag: "Compatibility", dest: "host", vector: 0 }, "01:00.1", undefined).decoded,
    ).toEqual({
      _tag: "Delivered",
      dest: "host",
      vector: 0,
      via: "compatibility format",
    })
    expect(decodeInterrupt(ir, false, { _tag: "Remappable", handle: 0 }, "01:00.2", undefined).decoded._tag).toBe(
      "Blocked",
    )
  })

  it("serves a stale IEC entry until it is invalidated", () => {
    const cached = decodeInterrupt(ir, true, { _tag: "Remappable", handle: 0 }, "01:00.2", undefined).ir
    const moved = writeIrte(cached, 0, { ...irte, dest: "vm1" })
    expect(decodeInterrupt(moved, true, { _tag: "Remappable", handle: 0 }, "01:00.2", undefined).decoded).toMatchObject(
      { dest: "vm2" },
    )
    expect(
      decodeInterrupt(invalidateIec(moved, 0), true, { _tag: "Remappable", handle: 0 }, "01:00.2", undefined).decoded,
    ).toMatchObject({ dest: "vm1" })
  })
})
