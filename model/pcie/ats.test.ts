import { describe, expect, it } from "vitest"
import { atcFill, atcLookup, atsAwaiting, atsCompleteInvalidation, atsReceiveInvalidation, atsReset } from "./ats.ts"

describe("ATS state of a function (PCIe Base 6.0 §10.2–10.3)", () => {
  it("a Translation Completion is cached once per IOVA, newest wins", () => {
    const ats = atcFill(atcFill(atsReset(true), { iova: 0x2000, page: 1 }), { iova: 0x2000, page: 2 })
    expect(ats.atc).toEqual([{ iova: 0x2000, page: 2 }])
    expect(atcLookup(ats, 0x2000)?.page).toBe(2)
    expect(atcLookup(ats, 0x1000)).toBeUndefined()
  })

  it("the ATC stays usable until the device completes the Invalidate Request", () => {
    const filled = atcFill(atsReset(true), { iova: 0x1000, page: 0 })
    const pending = atsReceiveInvalidation(filled, { iova: 0x1000, itag: "p" })
    expect(atcLookup(pending, 0x1000)?.page).toBe(0)
    expect(atsAwaiting(pending, "p")).toBe(true)
    const done = atsCompleteInvalidation(pending)
    expect(done?.dropped).toEqual([{ iova: 0x1000, page: 0 }])
    expect(done?.ats.atc).toEqual([])
    expect(done && atsAwaiting(done.ats, "p")).toBe(false)
  })

  it("completes invalidations oldest first and nothing when none is pending", () => {
    const a = atsReceiveInvalidation(atsReceiveInvalidation(atsReset(true), { iova: 0x1000, itag: "a" }), {
      iova: 0x2000,
      itag: "b",
    })
    expect(atsCompleteInvalidation(a)?.completed.itag).toBe("a")
    expect(atsCompleteInvalidation(atsReset(true))).toBeUndefined()
  })
})
