/**
 * PASID teardown (seed thread 002; Linux `intel_pasid_tear_down_entry` then
 * `intel_drain_pasid_prq`, iommufd's auto-response of pending faults on detach; VT-d 4.x §7.10
 * "software steps to drain page requests"), a process with a program counter:
 1. `clear-entry` (run by `HostUnbindPasid`): clear the PASID entry, so new requests with the
 *    PASID are refused. (Its IOTLB flush has nothing to drop here: the model's flat IOTLB is tagged
 *    by the domain, which the VM keeps using, so none of it goes stale.)
 * 2. `invalidate-atc`: an ATS Invalidate Request with the PASID, whole range, to the function
 *    (`devtlb_invalidation_with_pasid`; PCIe Base 6.0 §10.3.1: an Invalidate Request with a PASID
 *    applies to the translations the device cached for that PASID);
 * 3. `wait-atc`: its Invalidation Completion is in;
 * 4. `drain` (policy `priDrainOnTeardown: "drain"`): drop the PASID's requests from the page
 *    request queue, discard the ones delivered to the guest and not answered, and answer every
 *    outstanding group of the PASID at the device with a failure response;
 * 5. `free`: the PASID may be bound again, to any owner.
 *
 * @module
 */
import type { Rid } from "../ids.ts"
import { pasidEntry, clearPasidEntry } from "../iommu/pasid-table.ts"
import { drainPasid } from "../iommu/page-request-queue.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import { awaitedCompletions, sendAtsInvalidations } from "./ats-invalidation.ts"
import type { PolicyValues } from "../policy.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** A step of the teardown after `clear-entry`. */
export type TeardownStep = "invalidate-atc" | "wait-atc" | "drain" | "free"

/** A PASID teardown in flight. */
export interface PasidTeardown {
  readonly _tag: "PasidTeardown"
  readonly pid: string
  readonly rid: Rid
  readonly pasid: number
  readonly program: ReadonlyArray<TeardownStep>
  readonly pc: number
}

/** The pid of the teardown of (`rid`, `pasid`): `"pasid:01:00.0:1"`. */
export const teardownPid = (rid: Rid, pasid: number): string => `pasid:${rid}:${pasid}`

/** The steps after `clear-entry`, as the policy orders them. */
export const teardownProgram = (policy: PolicyValues): ReadonlyArray<TeardownStep> =>
  policy.priDrainOnTeardown === "drain"
    ? ["invalidate-atc", "wait-atc", "drain", "free"]
    : ["invalidate-atc", "wait-atc", "free"]

/** `HostUnbindPasid { rid, pasid }`: starts the teardown and clears the entry. Rejected when not bound. */
export const startTeardown = (ctx: StepContext, state: State, rid: Rid, pasid: number): StepResult => {
  if (pasidEntry(state.iommu.pasids, rid, pasid) === undefined)
    return unchanged(state, rejected(`PASID ${pasid} of ${rid} is not bound`))
  const pid = teardownPid(rid, pasid)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  const p: PasidTeardown = { _tag: "PasidTeardown", pid, rid, pasid, program: teardownProgram(ctx.policy), pc: 0 }
  return {
    state: {
      ...state,
      iommu: { ...state.iommu, pasids: clearPasidEntry(state.iommu.pasids, rid, pasid) },
      host: putProcedure(state.host, p),
    },
    outcome: ok,
    events: [{ _tag: "PasidEntryCleared", rid, pasid }],
  }
}

/** Runs `program[pc]` of a teardown. */
export const advanceTeardown = (ctx: StepContext, state: State, p: PasidTeardown): StepResult => {
  const next = p.program[p.pc]
  if (next === "invalidate-atc") {
    const sent = sendAtsInvalidations(ctx, state, [{ rid: p.rid, pasid: p.pasid }], p.pid)
    return {
      state: { ...sent.state, host: putProcedure(sent.state.host, { ...p, pc: p.pc + 1 }) },
      outcome: ok,
      events: sent.events,
    }
  }
  if (next === "wait-atc") {
    const pending = awaitedCompletions(state, p.pid)
    return pending.length > 0
      ? unchanged(state, waiting(`Invalidation Completion from ${pending.join(", ")}`))
      : {
          state: { ...state, host: putProcedure(state.host, { ...p, pc: p.pc + 1 }) },
          outcome: ok,
          events: [{ _tag: "AtsInvalidationWaitDone", pid: p.pid }],
        }
  }
  if (next === "drain") {
    const { prq, drained } = drainPasid(state.iommu.prq, p.rid, p.pasid)
    const guests = state.guests.map((g) => ({
      ...g,
      faults: g.faults.filter((f) => f.rid !== p.rid || f.pasid !== p.pasid),
    }))
    const discarded =
      state.guests.reduce((n, g) => n + g.faults.length, 0) - guests.reduce((n, g) => n + g.faults.length, 0)
    const answered = state.functions.find((f) => f.rid === p.rid)?.groups.filter((g) => g.pasid === p.pasid).length ?? 0
    const functions = state.functions.map((f) =>
      f.rid === p.rid ? { ...f, groups: f.groups.filter((g) => g.pasid !== p.pasid) } : f,
    )
    return {
      state: {
        ...state,
        iommu: { ...state.iommu, prq },
        guests,
        functions,
        host: putProcedure(state.host, { ...p, pc: p.pc + 1 }),
      },
      outcome: ok,
      events: [{ _tag: "PasidDrained", rid: p.rid, pasid: p.pasid, queued: drained, delivered: discarded, answered }],
    }
  }
  return {
    state: { ...state, host: removeProcedure(state.host, p.pid) },
    outcome: ok,
    events: [{ _tag: "PasidFreed", rid: p.rid, pasid: p.pasid }],
  }
}
