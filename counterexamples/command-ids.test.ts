/**
 * The command-ID validator: it covers every field of every command, it accepts every command the
 * model itself generates (every enabled command along random walks of every catalogue scenario),
 * and it rejects IDs outside the topology with the command index and field.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Command } from "../model/command.ts"
import { enabled } from "../model/enabled.ts"
import { initialState } from "../model/init.ts"
import { step } from "../model/step.ts"
import { catalogue } from "../scenarios/catalogue.ts"
import { scenarioContext } from "../scenarios/scenario.ts"
import { scenario } from "../test/helpers.ts"
import { commandIdChecker, commandIdIssue, FREE_FIELDS, RULES } from "./command-ids.ts"

/** Every field path of a struct schema: `rid`, `message.dest`, … */
const fieldPaths = (fields: Record<string, unknown>, prefix = ""): Array<string> =>
  Object.entries(fields).flatMap(([k, s]) => {
    const inner = (s as { members?: ReadonlyArray<{ fields?: Record<string, unknown> }> }).members
    return inner?.every((m) => m.fields !== undefined) === true
      ? [`${prefix}${k}`, ...inner.flatMap((m) => fieldPaths(m.fields ?? {}, `${prefix}${k}.`))]
      : [`${prefix}${k}`]
  })

describe("command IDs", () => {
  it("classify every field of every command: checked against the topology, or free with a reason", () => {
    const paths = new Set(Command.members.flatMap((m) => fieldPaths(m.fields)))
    const nested = [...paths].filter((p) => !p.includes(".") && [...paths].some((q) => q.startsWith(`${p}.`)))
    for (const p of paths)
      if (!nested.includes(p)) expect(p in RULES || p in FREE_FIELDS, `field ${p} is in neither table`).toBe(true)
  })

  it("accept every command the model enables along random walks of every catalogue scenario", () => {
    let seed = 7
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    let checked = 0
    for (const s of catalogue()) {
      const check = commandIdChecker(s.topology)
      const context = scenarioContext(s)
      for (let walk = 0; walk < 2; walk++) {
        let state = initialState(s.topology)
        for (let i = 0; i < 25; i++) {
          const options = enabled(state)
          for (const c of options) {
            expect(check(c, i), `${s.id} step ${i}: ${JSON.stringify(c)}`).toBeUndefined()
            checked++
          }
          const next = options[random(options.length)]
          if (next === undefined) break
          state = Effect.runSync(Effect.provideContext(step(state, next), context)).state
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000)
  })

  it.each([
    [{ _tag: "HostAssignFunction", rid: "09:00.7", vm: "vm1" }, '"09:00.7" is not a function', "rid"],
    [{ _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm9" }, '"vm9" is not a VM', "vm"],
    [{ _tag: "HostMapIova", vm: "vm1", iova: 4096, page: 999 }, "page 999 is not a page", "page"],
    [{ _tag: "HostMapIova", vm: "vm1", iova: 4096, page: 2 ** 40 }, "page 1099511627776", "page"],
    [{ _tag: "HostMapIova", vm: "vm1", iova: 0x100000, page: 0 }, "0x100000 is not an IOVA", "iova"],
    [{ _tag: "HostAdvance", pid: "unmap:vm1:0x3000" }, 'no procedure "unmap:vm1:0x3000"', "pid"],
    [{ _tag: "HostAdvance", pid: "frobnicate" }, 'no procedure "frobnicate"', "pid"],
    [{ _tag: "HostAssignSubdevice", sub: "adi1", vm: "vm1" }, '"adi1" is not a sub-device', "sub"],
    [{ _tag: "GuestStage1Map", vm: "vm1", table: 1, iova: 4096, gpa: 4096 }, "no nesting tables", "table"],
    [{ _tag: "GuestDmaUnmap", vm: "vm1", rid: "01:00.1", handle: 999 }, "DMA handle 999 cannot exist", "handle"],
    [{ _tag: "HostBindPasid", rid: "01:00.0", pasid: 5, vm: "vm1" }, "PASID 5 is not a PASID", "pasid"],
    [{ _tag: "DevicePageRequest", rid: "01:00.1", pasid: 2 ** 20, iova: 0, prgi: 0 }, "a PASID is below", "pasid"],
    [{ _tag: "DeviceRaiseInterrupt", iface: "01:00.1", entry: 3 }, "01:00.1 has no interrupt entry 3", "entry"],
  ])("reject %j naming the command and field", (command, reason, field) => {
    const s = scenario("sriov-ats-strict")
    const commands = [{ _tag: "HostRoutePageRequest" }, command] as unknown as ReadonlyArray<Command>
    const issue = commandIdIssue(s.topology, commands)
    expect(issue?.path).toEqual(["commands", 1, field])
    expect(issue?.issue).toContain(reason)
    expect(issue?.issue.startsWith(`${command._tag}: `)).toBe(true)
  })

  it("leave free what an actor may choose: any vRID, a device's IOVA, a guest's GPA", () => {
    const s = scenario("nested-amd-forwarded-atc")
    const free = [
      { _tag: "GuestInvalidateAtc", vm: "vm1", vrid: "09:00.7", pasid: 0, iova: 0x7f000 },
      { _tag: "DeviceDmaRead", rid: "01:00.1", iova: 0x7f000 },
      { _tag: "GuestStage1Map", vm: "vm1", table: 1, iova: 0x7f000, gpa: 0x9000 },
    ] as unknown as ReadonlyArray<Command>
    expect(commandIdIssue(s.topology, free)).toBeUndefined()
  })
})
