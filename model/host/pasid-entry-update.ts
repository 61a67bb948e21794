/**
 * vfio enforcing a guest's write of its VF's virtual PASID/PRI capability on the IOMMU
 * (`vfPasidCap: "emulated-iommu-enforced"`, seed thread 002: "relying on the physical IOMMU to
 * block" — Kevin Tian), as a change of PASID entries with the invalidations every entry change
 * needs (VT-d 4.x §6.5.2.3 PASID-cache invalidation, §6.5.2.6 PASID-based IOTLB invalidation,
 * §6.5.2.7 PASID-based Device-TLB invalidation; Linux `intel_pasid_*` helpers flush the PASID
 * cache, the IOTLB and the Device-TLB of a PASID entry after writing it). A process with a program
 * counter, device traffic between any two steps:
 * 1. `write-entry` (run by `GuestWriteVfCap`): vfio's virtual register takes the new bit, and every
 *    PASID entry of the VF — flat ones and, under nesting, the nested attachments with a PASID —
 *    gets the flags the capability now allows (Enable, Execute, Privileged, PRI);
 * 2. `invalidate-atc`: an ATS Invalidate Request with each of those PASIDs, whole range, so no
 *    translation the old flags allowed stays cached in the device (the flat IOTLB is tagged by
 *    the domain, whose translations did not change);
 * 3. `wait-atc`: every Invalidation Completion is in;
 * 4. `complete`: the trapped config write returns to the guest, whose driver now believes the bit
 *    it wrote (`guests[].capWrites`).
 * The VMM serializes a VF's config accesses (QEMU handles them under its big lock): a read or
 * another write of the VF's capability waits until the update completes.
 *
 * @module
 */
import { putGuest, recordCapWrite } from "../guest/guest.ts"
import type { Rid, VmId } from "../ids.ts"
import { ok, waiting } from "../outcome.ts"
import type { CapField } from "../pcie/pasid-pri.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { awaitedCompletions, sendAtsInvalidations } from "./ats-invalidation.ts"
import { putProcedure, removeProcedure } from "./host.ts"

/** A step of the update after `write-entry`. */
export type PasidEntryUpdateStep = "invalidate-atc" | "wait-atc" | "complete"

/** An update in flight. */
export interface PasidEntryUpdate {
  readonly _tag: "PasidEntryUpdate"
  readonly pid: string
  readonly rid: Rid
  readonly vm: VmId
  /** The guest's write being enforced. */
  readonly field: CapField
  readonly value: boolean
  readonly program: ReadonlyArray<PasidEntryUpdateStep>
  readonly pc: number
}

/** The pid of the update of `rid`'s entries: `"pasidcfg:01:00.1"`. */
export const pasidEntryUpdatePid = (rid: Rid): string => `pasidcfg:${rid}`

/** The steps after `write-entry`. */
export const PASID_ENTRY_UPDATE_PROGRAM: ReadonlyArray<PasidEntryUpdateStep> = ["invalidate-atc", "wait-atc", "complete"]

/** The PASIDs (other than 0) that `rid`'s entries translate: flat PASID entries and nested attachments. */
export const pasidsOf = (state: State, rid: Rid): ReadonlyArray<number> =>
  [
    ...new Set([
      ...state.iommu.pasids.filter((e) => e.rid === rid).map((e) => e.pasid),
      ...(state.nesting?.attachments ?? []).filter((a) => a.rid === rid && a.pasid !== 0).map((a) => a.pasid),
    ]),
  ].sort((a, b) => a - b)

/** Whether a capability update of `rid` is in flight (its config accesses wait). */
export const pasidEntryUpdateInFlight = (state: State, rid: Rid): boolean =>
  state.host.procedures.some((p) => p._tag === "PasidEntryUpdate" && p.rid === rid)

/** Runs `program[pc]` of an update. */
export const advancePasidEntryUpdate = (ctx: StepContext, state: State, p: PasidEntryUpdate): StepResult => {
  const next = p.program[p.pc]
  const advanced = (s: State, events: StepResult["events"]): StepResult => ({
    state: { ...s, host: putProcedure(s.host, { ...p, pc: p.pc + 1 }) },
    outcome: ok,
    events,
  })
  if (next === "invalidate-atc") {
    const sent = sendAtsInvalidations(
      ctx,
      state,
      pasidsOf(state, p.rid).map((pasid) => ({ rid: p.rid, pasid })),
      p.pid,
    )
    return advanced(sent.state, sent.events)
  }
  if (next === "wait-atc") {
    const pending = awaitedCompletions(state, p.pid)
    return pending.length > 0
      ? unchanged(state, waiting(`Invalidation Completion from ${pending.join(", ")}`))
      : advanced(state, [{ _tag: "AtsInvalidationWaitDone", pid: p.pid }])
  }
  const guest = state.guests.find((g) => g.vm === p.vm)
  const host = removeProcedure(state.host, p.pid)
  if (guest === undefined) return { state: { ...state, host }, outcome: ok, events: [] }
  return {
    state: { ...state, host, guests: putGuest(state.guests, recordCapWrite(guest, p.rid, p.field, p.value)) },
    outcome: ok,
    events: [{ _tag: "VfCapWriteCompleted", vm: p.vm, rid: p.rid, field: p.field, value: p.value }],
  }
}
