/**
 * vfio enforcing a guest's write of its VF's virtual PASID/PRI capability on the IOMMU
 * (`vfPasidCap: "emulated-iommu-enforced"`, seed thread 002: "relying on the physical IOMMU to
 * block" — Kevin Tian), as a change of PASID entries with the invalidations every entry change
 * needs (VT-d 4.x §6.5.2.3 PASID-cache invalidation, §6.5.2.6 PASID-based IOTLB invalidation,
 * §6.5.2.7 PASID-based Device-TLB invalidation; Linux `intel_pasid_*` helpers flush the PASID
 * cache, the IOTLB and the Device-TLB of a PASID entry after writing it), as a program:
 * `GuestWriteVfCap` stores the bit in vfio's virtual register, starts it and runs the first
 * operation; device traffic between any two. The scenario's `procedures.pasid-update` gives it.
 *
 * Operations:
 * - `write-entry`: every PASID entry of the VF — flat ones and, under nesting, the nested
 *   attachments with a PASID — gets the flags the virtual capability now allows (Enable, Execute,
 *   Privileged, PRI). Exactly once.
 * - `invalidate-pasid-cache { tag }`: drop the cached copies of the VF's PASID entries (their tag,
 *   the VM's domain, does not change; `entry-invalidation.ts`), so requests meet the new flags.
 * - `invalidate-atc`: an ATS Invalidate Request with each of those PASIDs, whole range, so no
 *   translation the old flags allowed stays cached in the device (the flat IOTLB is tagged by the
 *   domain, whose translations did not change).
 * - `wait-atc { onTimeout }`: every Invalidation Completion is in, or the host's timeout fired for
 *   a device that cannot answer (`ats-invalidation.ts`); needs an `invalidate-atc` before it.
 * - `complete-write`: the trapped config write returns to the guest, whose driver now believes
 *   the bit it wrote (`guests[].capWrites`). Exactly once.
 * Default: `write-entry → invalidate-pasid-cache → invalidate-atc → wait-atc → complete-write`.
 *
 * The VMM serializes a VF's config accesses (QEMU handles them under its big lock): a read or
 * another write of the VF's capability waits until the update has ended.
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import { putGuest, recordCapWrite } from "../guest/guest.ts"
import { contextDid } from "../iommu/context.ts"
import { invalidatePasidCache } from "../iommu/entry-cache.ts"
import type { Rid, VmId } from "../ids.ts"
import { ok, waiting } from "../outcome.ts"
import type { CapField } from "../pcie/pasid-pri.ts"
import type { PolicyValues } from "../policy.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { countOps, opInput, opName, waitWithoutSend } from "../program.ts"
import {
  awaitAtsCompletions,
  sendAtsInvalidations,
  WaitAtcInput,
  type WaitAtcOp,
  waitAtcOp,
} from "./ats-invalidation.ts"
import {
  CacheInvalidationInput,
  type CacheInvalidationOp,
  cacheInvalidatedEvent,
  cacheInvalidationOp,
  cacheTag,
} from "./entry-invalidation.ts"
import { entryFlags } from "./vfio-pasid-cap.ts"
import { putProcedure, removeProcedure } from "./host.ts"

/** Schema of one update operation as a scenario writes it. */
export const PasidUpdateOpInput = Schema.Union([
  opInput("write-entry", {}),
  CacheInvalidationInput("invalidate-pasid-cache"),
  opInput("invalidate-atc", {}),
  WaitAtcInput,
  opInput("complete-write", {}),
]).annotate({
  message:
    "Expected a PASID entry update operation: write-entry, invalidate-pasid-cache {tag: old|new|global}, invalidate-atc, wait-atc, complete-write",
})

/** One update operation. */
export type PasidUpdateOp =
  | { readonly op: "write-entry" | "invalidate-atc" | "complete-write" }
  | WaitAtcOp
  | CacheInvalidationOp<"invalidate-pasid-cache">

/** An update operation as data. */
export const pasidUpdateOp = (written: typeof PasidUpdateOpInput.Type, policy: PolicyValues): PasidUpdateOp =>
  opName(written) === "wait-atc"
    ? waitAtcOp(written as typeof WaitAtcInput.Type, policy)
    : opName(written) === "invalidate-pasid-cache"
      ? cacheInvalidationOp("invalidate-pasid-cache", written, policy)
      : { op: opName(written) as "write-entry" | "invalidate-atc" | "complete-write" }

/** Why an update program cannot run (one line), or `undefined`. */
export const pasidUpdateProgramError = (ops: ReadonlyArray<PasidUpdateOp>): string | undefined => {
  if (countOps(ops, "write-entry") !== 1) return "must write the PASID entries exactly once (one write-entry)"
  if (countOps(ops, "complete-write") !== 1) return "must complete the guest's write exactly once (one complete-write)"
  const wait = waitWithoutSend(ops, "wait-atc", "invalidate-atc")
  if (wait >= 0) return `[${wait}] wait-atc waits for ATS completions but no invalidate-atc comes before it`
  return undefined
}

/** An update in flight. */
export interface PasidEntryUpdate {
  readonly _tag: "PasidEntryUpdate"
  readonly pid: string
  readonly rid: Rid
  readonly vm: VmId
  /** The guest's write being enforced. */
  readonly field: CapField
  readonly value: boolean
  /** Indexes the scenario's update program. */
  readonly pc: number
}

/** The pid of the update of `rid`'s entries: `"pasidcfg:01:00.1"`. */
export const pasidEntryUpdatePid = (rid: Rid): string => `pasidcfg:${rid}`

/** The default program (its wait times out as the knob `atsInvalidationTimeout` says). */
export const pasidUpdatePreset = (policy: PolicyValues): ReadonlyArray<PasidUpdateOp> => [
  { op: "write-entry" },
  cacheInvalidationOp("invalidate-pasid-cache", undefined, policy),
  { op: "invalidate-atc" },
  waitAtcOp("wait-atc", policy),
  { op: "complete-write" },
]

/** The PASIDs (other than 0) that `rid`'s entries translate: flat PASID entries and nested attachments. */
export const pasidsOf = (state: State, rid: Rid): ReadonlyArray<number> =>
  [
    ...new Set([
      ...state.iommu.pasids.filter((e) => e.rid === rid).map((e) => e.pasid),
      ...(state.nesting?.attachments ?? []).filter((a) => a.rid === rid && a.pasid !== 0).map((a) => a.pasid),
    ]),
  ].sort((a, b) => a - b)

/**
 * The guest's capability write to `rid` whose update is still running, or `undefined`. Until its
 * `complete-write` runs the write has not returned to the guest; in a program where
 * `complete-write` is not the last operation the update goes on after it, and the guest's belief
 * (`guests[].capWrites`) already holds the value.
 */
export const capWriteInFlight = (state: State, rid: Rid): PasidEntryUpdate | undefined =>
  state.host.procedures.find((p): p is PasidEntryUpdate => p._tag === "PasidEntryUpdate" && p.rid === rid)

/** Whether a capability update of `rid` is in flight (its config accesses wait). */
export const pasidEntryUpdateInFlight = (state: State, rid: Rid): boolean => capWriteInFlight(state, rid) !== undefined

/** Runs the operation at `pc` of an update; the last one ends it. */
export const advancePasidEntryUpdate = (ctx: StepContext, state: State, p: PasidEntryUpdate): StepResult => {
  const program = ctx.programs.pasidUpdate
  const next = program[p.pc]
  const done = (s: State, events: StepResult["events"]): StepResult => ({
    state: {
      ...s,
      host: p.pc + 1 < program.length ? putProcedure(s.host, { ...p, pc: p.pc + 1 }) : removeProcedure(s.host, p.pid),
    },
    outcome: ok,
    events,
  })
  if (next === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  switch (next.op) {
    case "write-entry": {
      const flags = entryFlags(
        ctx.policy,
        state.host.vcaps.find((v) => v.rid === p.rid),
      )
      const pasids = state.iommu.pasids.map((e) => (e.rid === p.rid ? { ...e, ...flags } : e))
      const nesting =
        state.nesting === undefined
          ? undefined
          : {
              ...state.nesting,
              attachments: state.nesting.attachments.map((a) =>
                a.rid === p.rid && a.pasid !== 0 ? { ...a, ...flags } : a,
              ),
            }
      return done({ ...state, iommu: { ...state.iommu, pasids }, ...(nesting === undefined ? {} : { nesting }) }, [
        { _tag: "PasidFlagsWritten", rid: p.rid, pasids: pasidsOf(state, p.rid), ...flags },
      ])
    }
    case "invalidate-pasid-cache": {
      const did = contextDid(state.iommu.context, p.rid)
      const tag = cacheTag(next.tag, did, did)
      const r = invalidatePasidCache(state.iommu.cache, p.rid, "all", tag)
      return done({ ...state, iommu: { ...state.iommu, cache: r.cache } }, [
        cacheInvalidatedEvent(ctx, next.op, p.rid, undefined, tag, r.dropped),
      ])
    }
    case "invalidate-atc": {
      const sent = sendAtsInvalidations(
        ctx,
        state,
        pasidsOf(state, p.rid).map((pasid) => ({ rid: p.rid, pasid })),
        p.pid,
      )
      return done(sent.state, sent.events)
    }
    case "wait-atc": {
      const r = awaitAtsCompletions(state, p.pid, next.onTimeout)
      return "waiting" in r ? unchanged(state, waiting(r.waiting)) : done(r.state, r.events)
    }
    case "complete-write": {
      const guest = state.guests.find((g) => g.vm === p.vm)
      if (guest === undefined) return done(state, [])
      return done({ ...state, guests: putGuest(state.guests, recordCapWrite(guest, p.rid, p.field, p.value)) }, [
        { _tag: "VfCapWriteCompleted", vm: p.vm, rid: p.rid, field: p.field, value: p.value },
      ])
    }
  }
}
