/**
 * PASID teardown (seed thread 002; Linux `intel_pasid_tear_down_entry` then
 * `intel_drain_pasid_prq`, iommufd's auto-response of pending faults on detach; VT-d 4.x §7.10
 * "software steps to drain page requests") as a program: `HostUnbindPasid` starts it and runs the
 * first operation, device traffic between any two. The scenario's `procedures.pasid-teardown`
 * gives the program.
 *
 * Operations:
 * - `clear-entry`: clear the PASID entry, so new requests with the PASID are refused. (Its IOTLB
 *   flush has nothing to drop: the model's flat IOTLB is tagged by the domain, which the VM keeps
 *   using, so none of it goes stale.) Exactly once.
 * - `invalidate-pasid-cache { tag }`: drop the cached copy of the entry (VT-d PASID-cache
 *   invalidation, SMMUv3 CMD_CFGI_CD; `entry-invalidation.ts`); until then requests with the PASID
 *   still meet the cleared entry.
 * - `invalidate-atc`: an ATS Invalidate Request with the PASID, whole range, to the function
 *   (`devtlb_invalidation_with_pasid`; PCIe Base 6.0 §10.3.1: an Invalidate Request with a PASID
 *   applies to the translations the device cached for that PASID).
 * - `wait-atc { onTimeout }`: its Invalidation Completion is in, or the host's timeout fired for a
 *   device that cannot answer (`ats-invalidation.ts`); needs an `invalidate-atc` before it.
 * - `drain-prq`: drop the PASID's requests from the page request queue, discard the ones delivered
 *   to the guest and not answered, and answer every outstanding group of the PASID at the device
 *   with a failure response.
 * - `free-pasid`: the PASID may be bound again, to any owner. Without it, when the procedure ends.
 *
 * Presets of `priDrainOnTeardown`: `"drain"` is `clear-entry → invalidate-pasid-cache →
 * invalidate-atc → wait-atc → drain-prq → free-pasid`; `"skip"` leaves out `drain-prq`.
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import type { Rid } from "../ids.ts"
import type { Did } from "../iommu/context.ts"
import { invalidatePasidCache } from "../iommu/entry-cache.ts"
import { drainPasid } from "../iommu/page-request-queue.ts"
import type { DetachingPasid } from "../iommu/scope.ts"
import { clearPasidEntry, pasidEntry } from "../iommu/pasid-table.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import type { PolicyValues } from "../policy.ts"
import { countOps, opInput, opName, waitWithoutSend } from "../program.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
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
import { type Host, procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** Schema of one teardown operation as a scenario writes it. */
export const TeardownOpInput = Schema.Union([
  opInput("clear-entry", {}),
  CacheInvalidationInput("invalidate-pasid-cache"),
  opInput("invalidate-atc", {}),
  WaitAtcInput,
  opInput("drain-prq", {}),
  opInput("free-pasid", {}),
]).annotate({
  message:
    "Expected a PASID teardown operation: clear-entry, invalidate-pasid-cache {tag: old|new|global}, invalidate-atc, wait-atc, drain-prq, free-pasid",
})

/** One teardown operation. */
export type TeardownOp =
  | { readonly op: "clear-entry" | "invalidate-atc" | "drain-prq" | "free-pasid" }
  | WaitAtcOp
  | CacheInvalidationOp<"invalidate-pasid-cache">

/** A teardown operation as data. */
export const teardownOp = (written: typeof TeardownOpInput.Type, policy: PolicyValues): TeardownOp =>
  opName(written) === "wait-atc"
    ? waitAtcOp(written as typeof WaitAtcInput.Type, policy)
    : opName(written) === "invalidate-pasid-cache"
      ? cacheInvalidationOp("invalidate-pasid-cache", written, policy)
      : { op: opName(written) as "clear-entry" | "invalidate-atc" | "drain-prq" | "free-pasid" }

/** Why a teardown program cannot run (one line), or `undefined`. */
export const teardownProgramError = (ops: ReadonlyArray<TeardownOp>): string | undefined => {
  if (countOps(ops, "clear-entry") !== 1) return "must clear the PASID entry exactly once (one clear-entry)"
  const wait = waitWithoutSend(ops, "wait-atc", "invalidate-atc")
  if (wait >= 0) return `[${wait}] wait-atc waits for ATS completions but no invalidate-atc comes before it`
  if (countOps(ops, "free-pasid") > 1) return "free-pasid appears more than once"
  return undefined
}

/** The teardown program of the knob `priDrainOnTeardown`. */
export const teardownPreset = (policy: PolicyValues): ReadonlyArray<TeardownOp> => [
  { op: "clear-entry" },
  cacheInvalidationOp("invalidate-pasid-cache", undefined, policy),
  { op: "invalidate-atc" },
  waitAtcOp("wait-atc", policy),
  ...(policy.priDrainOnTeardown === "drain" ? [{ op: "drain-prq" } as const] : []),
  { op: "free-pasid" },
]

/** A PASID teardown in flight: `pc` indexes the scenario's teardown program. */
export interface PasidTeardown {
  readonly _tag: "PasidTeardown"
  readonly pid: string
  readonly rid: Rid
  readonly pasid: number
  readonly pc: number
  /** Whether `free-pasid` has run (the PASID may be bound again). */
  readonly freed: boolean
  /** The domain tag of the entry when the teardown started. */
  readonly oldDid: Did
}

/** The pid of the teardown of (`rid`, `pasid`): `"pasid:01:00.0:1"`. */
export const teardownPid = (rid: Rid, pasid: number): string => `pasid:${rid}:${pasid}`

/**
 * The (RID, PASID)s whose teardown is in flight, with the domain their entry named: they stay users
 * of that domain until the teardown ends (`iommu/scope.ts` `domainUsers`).
 */
export const detachingPasids = (host: Host): ReadonlyArray<DetachingPasid> =>
  host.procedures.flatMap((p) => (p._tag === "PasidTeardown" ? [{ rid: p.rid, pasid: p.pasid, did: p.oldDid }] : []))

/** Whether a teardown of (`rid`, `pasid`) holds the PASID (in flight, `free-pasid` not yet run). */
export const pasidBusy = (state: State, rid: Rid, pasid: number): boolean => {
  const p = procedureByPid(state.host, teardownPid(rid, pasid))
  return p?._tag === "PasidTeardown" && !p.freed
}

/**
 * `HostUnbindPasid { rid, pasid }`: starts the teardown and runs its first operation. Rejected when
 * the PASID is not bound, is a sub-device's (its entry goes with the sub-device's release), or a
 * teardown of it is in flight. Until the teardown ends, (`rid`, `pasid`) stays a user of the domain
 * the entry named (`iommu/scope.ts`).
 */
export const startTeardown = (ctx: StepContext, state: State, rid: Rid, pasid: number): StepResult => {
  const entry = pasidEntry(state.iommu.pasids, rid, pasid)
  if (entry === undefined) return unchanged(state, rejected(`PASID ${pasid} of ${rid} is not bound`))
  const sub = state.subdevices.find((d) => d.parent === rid && d.pasid === pasid)
  if (sub !== undefined) return unchanged(state, rejected(`PASID ${pasid} of ${rid} is ${sub.id}'s`))
  const pid = teardownPid(rid, pasid)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  const p: PasidTeardown = { _tag: "PasidTeardown", pid, rid, pasid, pc: 0, freed: false, oldDid: entry.did }
  return advanceTeardown(ctx, { ...state, host: putProcedure(state.host, p) }, p)
}

/** Runs the operation at `pc` of a teardown; the last one ends it. */
export const advanceTeardown = (ctx: StepContext, state: State, p: PasidTeardown): StepResult => {
  const program = ctx.programs.pasidTeardown
  const next = program[p.pc]
  const done = (s: State, events: StepResult["events"], q: PasidTeardown = p): StepResult => ({
    state: {
      ...s,
      host: p.pc + 1 < program.length ? putProcedure(s.host, { ...q, pc: p.pc + 1 }) : removeProcedure(s.host, p.pid),
    },
    outcome: ok,
    events,
  })
  if (next === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  switch (next.op) {
    case "clear-entry":
      return done(
        { ...state, iommu: { ...state.iommu, pasids: clearPasidEntry(state.iommu.pasids, p.rid, p.pasid) } },
        [{ _tag: "PasidEntryCleared", rid: p.rid, pasid: p.pasid }],
      )
    case "invalidate-pasid-cache": {
      const tag = cacheTag(next.tag, p.oldDid, pasidEntry(state.iommu.pasids, p.rid, p.pasid)?.did)
      const r = invalidatePasidCache(state.iommu.cache, p.rid, p.pasid, tag)
      return done({ ...state, iommu: { ...state.iommu, cache: r.cache } }, [
        cacheInvalidatedEvent(ctx, next.op, p.rid, p.pasid, tag, r.dropped),
      ])
    }
    case "invalidate-atc": {
      const sent = sendAtsInvalidations(ctx, state, [{ rid: p.rid, pasid: p.pasid }], p.pid)
      return done(sent.state, sent.events)
    }
    case "wait-atc": {
      const r = awaitAtsCompletions(state, p.pid, next.onTimeout)
      return "waiting" in r ? unchanged(state, waiting(r.waiting)) : done(r.state, r.events)
    }
    case "drain-prq": {
      const { prq, drained } = drainPasid(state.iommu.prq, p.rid, p.pasid)
      const guests = state.guests.map((g) => ({
        ...g,
        faults: g.faults.filter((f) => f.rid !== p.rid || f.pasid !== p.pasid),
      }))
      const discarded =
        state.guests.reduce((n, g) => n + g.faults.length, 0) - guests.reduce((n, g) => n + g.faults.length, 0)
      const answered =
        state.functions.find((f) => f.rid === p.rid)?.groups.filter((g) => g.pasid === p.pasid).length ?? 0
      const functions = state.functions.map((f) =>
        f.rid === p.rid ? { ...f, groups: f.groups.filter((g) => g.pasid !== p.pasid) } : f,
      )
      return done({ ...state, iommu: { ...state.iommu, prq }, guests, functions }, [
        { _tag: "PasidDrained", rid: p.rid, pasid: p.pasid, queued: drained, delivered: discarded, answered },
      ])
    }
    case "free-pasid":
      return done(state, [{ _tag: "PasidFreed", rid: p.rid, pasid: p.pasid }], { ...p, freed: true })
  }
}
