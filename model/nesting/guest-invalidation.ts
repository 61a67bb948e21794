/**
 * The guest's invalidations under nesting, run by the VMM and iommufd as multi-step procedures
 * (seed thread 001: "the VM issues an ATC invalidation with (vRID, PASID) as the tag. The VMM must
 * translate vRID -> dev_id -> pRID"; IOTLB invalidations go to the nested domain, the vDomain-ID
 * group or the nesting parent by vendor). Device traffic can interleave between any two steps.
 *
 * Each VM has one invalidation queue (VT-d §6.5.2 invalidation queue, AMD IOMMU §3.3.12 command
 * buffer, SMMUv3 §4 command queue, as the vIOMMU presents it): a procedure in flight while it holds
 * descriptors, which the VMM takes in order. The guest writes a batch and then the queue tail,
 * which traps: the VMM issues the batch up to its wait descriptor at once (when the queue was
 * empty; else when the waits before it are done), and `HostAdvance` completes the wait once the
 * devices have answered, so the procedure is "issue, then wait" with device traffic in between.
 * Bounded: a guest whose queue holds `QUEUE_DEPTH` descriptors waits before queueing more (the
 * command is rejected).
 What the VMM and iommufd do with each kind of descriptor is the scenario's `procedures.guest-queue`
 * program, one list of operations per kind (absent: the preset of the knobs
 * `atcInvalidationUnderNesting` and `amdAtcSynthesis`):
 * - for `Iotlb { vtag, pasid, iova }`, the guest's stage-1 IOTLB invalidation with its virtual
 *   keys: `invalidate-iotlb` (iommufd translates the key to hardware tags, `Vendor` nesting
 *   semantics, and the IOMMU drops those entries and completes its own wait at once, as for the
 *   host's IOTLB invalidation) and `synthesize-atc { targets: "every-table" | "one-table" }` (the
 *   hypervisor sends ATS invalidations itself to the (pRID, PASID)s the key may name: every walk
 *   structure, or the first one only);
 * - for `Atc { vrid, pasid, iova }`, the guest's ATC invalidation: `forward-atc { vrid:
 *   "translated" | "untranslated" }` (vRID -> pRID through the VM's virtual IOMMU, or the vRID sent
 *   as a pRID); an empty list discards it;
 * - for `Wait`: `wait-atc` (completes once every ATS Invalidate Request the queue sent has its
 *   Invalidation Completion); an empty list completes it at once (a VMM that does not wait for the
 *   devices). A `GuestStage1Unmap`'s wait names the PTE it was for, and the unmap is in flight until
 *   it completes.
 * Presets: `"forward-translated"` is iotlb `[invalidate-iotlb]`, atc `[forward-atc(translated)]`,
 * wait `[wait-atc]`; `"synthesize"` is iotlb `[invalidate-iotlb, synthesize-atc(every-table)]`
 * (`one-table` with `amdAtcSynthesis: "single-gcr3-table"`), atc `[]`; `"forward-untranslated"` is
 * atc `[forward-atc(untranslated)]`; `"drop"` is atc `[]`.
 *
 * Three commands queue work:
 * - `GuestStage1Unmap { vm, table, iova }`: the guest clears a stage-1 PTE (no trap) and, as its
 *   driver does (Linux `iommu_iotlb_sync`), queues an IOTLB invalidation for each virtual key
 *   naming the table, an ATC invalidation for each ATS device attached to it, and a wait.
 * - `GuestInvalidateIotlb { vm, vtag, pasid, iova }` and `GuestInvalidateAtc { vm, vrid, pasid, iova }`:
 *   one descriptor of the guest's choosing, then a wait (a guest may name any key).
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import type { Event } from "../event.ts"
import { formatIova, type Iova, type Rid, type VmId } from "../ids.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import type { PolicyValues } from "../policy.ts"
import { opInput, opName, opParams } from "../program.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import {
  type AtsTarget,
  awaitAtsCompletions,
  sendAtsInvalidations,
  WaitAtcInput,
  type WaitAtcOp,
  waitAtcOp,
} from "../host/ats-invalidation.ts"
import { procedureByPid, putProcedure, removeProcedure } from "../host/host.ts"
import { nestedIotlbInvalidate, pridOf, putStage1Table, stage1Table } from "./nesting.ts"
import type { AtcTarget, NestingContext } from "./vendor-nesting.ts"

/** Schema of one operation of the guest queue's `iotlb` list as a scenario writes it. */
export const GuestIotlbOpInput = Schema.Union([
  opInput("invalidate-iotlb", {}),
  opInput("synthesize-atc", { targets: Schema.optionalKey(Schema.Literals(["every-table", "one-table"])) }),
]).annotate({
  message:
    "Expected a guest IOTLB descriptor operation: invalidate-iotlb, synthesize-atc {targets: every-table|one-table}",
})

/** Schema of one operation of the guest queue's `atc` list as a scenario writes it. */
export const GuestAtcOpInput = opInput("forward-atc", {
  vrid: Schema.optionalKey(Schema.Literals(["translated", "untranslated"])),
}).annotate({
  message: "Expected a guest ATC descriptor operation: forward-atc {vrid: translated|untranslated}",
})

/** Schema of one operation of the guest queue's `wait` list as a scenario writes it. */
export const GuestWaitOpInput = WaitAtcInput.annotate({
  message: "Expected a guest wait descriptor operation: wait-atc {onTimeout}",
})

/** Schema of the guest-queue program as a scenario writes it: operations per descriptor kind. */
export const GuestQueueProgramInput = Schema.Struct({
  iotlb: Schema.optionalKey(Schema.Array(GuestIotlbOpInput)),
  atc: Schema.optionalKey(Schema.Array(GuestAtcOpInput)),
  wait: Schema.optionalKey(Schema.Array(GuestWaitOpInput)),
})

/**
 * Schema of the guest-queue program as a counterexample file records it (`programs`): every list
 * given, so replay needs no preset.
 */
export const RecordedGuestQueueProgram = Schema.Struct({
  iotlb: Schema.Array(GuestIotlbOpInput),
  atc: Schema.Array(GuestAtcOpInput),
  wait: Schema.Array(GuestWaitOpInput),
})

/** What the VMM does with each kind of guest descriptor (see the module doc). */
export interface GuestQueueProgram {
  readonly iotlb: ReadonlyArray<
    | { readonly op: "invalidate-iotlb" }
    | { readonly op: "synthesize-atc"; readonly targets: "every-table" | "one-table" }
  >
  readonly atc: ReadonlyArray<{ readonly op: "forward-atc"; readonly vrid: "translated" | "untranslated" }>
  readonly wait: ReadonlyArray<WaitAtcOp>
}

/** The guest-queue program of the knobs, with the scenario's lists (any given) in place of the preset's. */
export const guestQueueProgram = (
  policy: PolicyValues,
  written: typeof GuestQueueProgramInput.Type | undefined,
): GuestQueueProgram => {
  const under = policy.atcInvalidationUnderNesting
  const targets = policy.amdAtcSynthesis === "single-gcr3-table" ? "one-table" : "every-table"
  const preset: GuestQueueProgram = {
    iotlb:
      under === "synthesize"
        ? [{ op: "invalidate-iotlb" }, { op: "synthesize-atc", targets }]
        : [{ op: "invalidate-iotlb" }],
    atc:
      under === "forward-translated"
        ? [{ op: "forward-atc", vrid: "translated" }]
        : under === "forward-untranslated"
          ? [{ op: "forward-atc", vrid: "untranslated" }]
          : [],
    wait: [waitAtcOp("wait-atc", policy)],
  }
  return {
    iotlb:
      written?.iotlb?.map((o) =>
        opName(o) === "synthesize-atc"
          ? {
              op: "synthesize-atc" as const,
              targets: (opParams(o).targets as "every-table" | "one-table" | undefined) ?? "every-table",
            }
          : { op: "invalidate-iotlb" as const },
      ) ?? preset.iotlb,
    atc:
      written?.atc?.map((o) => ({
        op: "forward-atc" as const,
        vrid: (opParams(o).vrid as "translated" | "untranslated" | undefined) ?? "translated",
      })) ?? preset.atc,
    wait: written?.wait?.map((o) => waitAtcOp(o, policy)) ?? preset.wait,
  }
}

/** One descriptor of a guest's invalidation queue. */
export type GuestDescriptor =
  | { readonly _tag: "Iotlb"; readonly vtag: number; readonly pasid: number; readonly iova: Iova }
  | { readonly _tag: "Atc"; readonly vrid: Rid; readonly pasid: number; readonly iova: Iova }
  | {
      readonly _tag: "Wait"
      /** The stage-1 PTE whose `GuestStage1Unmap` queued this wait, if any. */
      readonly unmap?: { readonly table: number; readonly iova: Iova }
    }

/** Most descriptors a guest's invalidation queue holds. */
export const QUEUE_DEPTH = 6

/**
 * A guest's invalidation queue while it holds descriptors: `program[pc]` is the next one the VMM
 * takes (`pc` is always 0: a taken descriptor leaves the queue).
 */
export interface GuestInvalidation {
  readonly _tag: "GuestInvalidation"
  readonly pid: string
  readonly vm: VmId
  readonly program: ReadonlyArray<GuestDescriptor>
  readonly pc: number
}

/** The pid of `vm`'s invalidation queue: `"ginvq:vm1"`. */
export const queuePid = (vm: VmId): string => `ginvq:${vm}`

/** Whether `vm`'s unmap of (`table`, `iova`) is in flight (its wait descriptor still queued). */
export const stage1UnmapInFlight = (state: State, vm: VmId, table?: number, iova?: Iova): boolean => {
  const q = procedureByPid(state.host, queuePid(vm))
  return (
    q?._tag === "GuestInvalidation" &&
    q.program.some(
      (d) =>
        d._tag === "Wait" &&
        d.unmap !== undefined &&
        (table === undefined || d.unmap.table === table) &&
        (iova === undefined || d.unmap.iova === iova),
    )
  )
}

/**
 * Appends descriptors to `vm`'s queue (in `s`); rejected when they do not fit. The guest's write of
 * the queue tail traps, so when the queue was empty the VMM issues the new batch at once (up to its
 * wait descriptor, which `HostAdvance` completes later).
 */
const enqueue = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  descriptors: ReadonlyArray<GuestDescriptor>,
  events: ReadonlyArray<Event>,
  s: State = state,
): StepResult => {
  const pid = queuePid(vm)
  const q = procedureByPid(state.host, pid)
  const held = q?._tag === "GuestInvalidation" ? q.program : []
  if (held.length + descriptors.length > QUEUE_DEPTH)
    return unchanged(state, rejected(`${vm}'s invalidation queue is full (${held.length} descriptors)`))
  const p: GuestInvalidation = { _tag: "GuestInvalidation", pid, vm, program: [...held, ...descriptors], pc: 0 }
  const queued: State = { ...s, host: putProcedure(s.host, p) }
  if (held.length > 0) return { state: queued, outcome: ok, events }
  const issued = advanceGuestInvalidation(ctx, queued, p)
  return { ...issued, events: [...events, ...issued.events] }
}

/**
 * `GuestStage1Unmap { vm, table, iova }`: clears the PTE and queues the guest driver's
 * invalidations. Rejected when the PTE is not present or an unmap of it is in flight.
 */
export const guestStage1Unmap = (ctx: StepContext, state: State, vm: VmId, table: number, iova: Iova): StepResult => {
  const n = state.nesting
  const t = n === undefined ? undefined : stage1Table(n, vm, table)
  const pte = t?.ptes.find((p) => p.iova === iova)
  if (n === undefined || t === undefined || pte === undefined)
    return unchanged(state, rejected(`${formatIova(iova)} is not present in ${vm}'s table ${table}`))
  if (stage1UnmapInFlight(state, vm, table, iova))
    return unchanged(state, rejected(`${vm}'s unmap of ${formatIova(iova)} in table ${table} is in flight`))
  const attached = n.attachments.filter((a) => a.vm === vm && a.table === table)
  const program: Array<GuestDescriptor> = [
    ...ctx.vendor.nesting.guestIotlbKeys(attached).map((k) => ({ _tag: "Iotlb" as const, ...k, iova })),
    ...attached
      .filter((a) => state.functions.find((f) => f.rid === a.rid)?.ats.enabled === true)
      .map((a) => ({ _tag: "Atc" as const, vrid: a.vrid, pasid: a.pasid, iova })),
    { _tag: "Wait", unmap: { table, iova } },
  ]
  const cleared: State = {
    ...state,
    nesting: putStage1Table(n, { ...t, ptes: t.ptes.filter((p) => p.iova !== iova) }),
  }
  return enqueue(ctx, state, vm, program, [{ _tag: "Stage1PteCleared", vm, table, iova, gpa: pte.gpa }], cleared)
}

/** `GuestInvalidateIotlb { vm, vtag, pasid, iova }`: queues one IOTLB invalidation and a wait. */
export const guestInvalidateIotlb = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  vtag: number,
  pasid: number,
  iova: Iova,
): StepResult =>
  state.nesting === undefined
    ? unchanged(state, rejected("no nesting"))
    : enqueue(ctx, state, vm, [{ _tag: "Iotlb", vtag, pasid, iova }, { _tag: "Wait" }], [])

/** `GuestInvalidateAtc { vm, vrid, pasid, iova }`: queues one ATC invalidation and a wait. */
export const guestInvalidateAtc = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  vrid: Rid,
  pasid: number,
  iova: Iova,
): StepResult =>
  state.nesting === undefined
    ? unchanged(state, rejected("no nesting"))
    : enqueue(ctx, state, vm, [{ _tag: "Atc", vrid, pasid, iova }, { _tag: "Wait" }], [])

/** The ATS targets of (pRID, PASID)s for `iova` (PASID 0: no PASID on the request). */
const atIova = (targets: ReadonlyArray<AtcTarget>, iova: Iova): ReadonlyArray<AtsTarget> =>
  targets.map((t) => ({ rid: t.rid, pasid: t.pasid === 0 ? undefined : t.pasid, iova }))

/** What one descriptor did: the state after it and its events. */
interface Executed {
  readonly state: State
  readonly events: ReadonlyArray<Event>
}

/** Executes one `Iotlb` or `Atc` descriptor of `p`'s queue with the scenario's program for its kind. */
const execute = (
  ctx: StepContext,
  state: State,
  p: GuestInvalidation,
  d: Exclude<GuestDescriptor, { readonly _tag: "Wait" }>,
): Executed => {
  const n = state.nesting
  if (n === undefined) return defect(`${p.pid} runs without nesting`)
  const semantics = ctx.vendor.nesting
  const nctx: NestingContext = { policy: ctx.policy, nesting: n, domains: state.iommu.domains }
  let current = state
  const events: Array<Event> = []
  if (d._tag === "Iotlb") {
    for (const o of ctx.programs.guestQueue.iotlb) {
      if (o.op === "invalidate-iotlb") {
        let nesting = current.nesting ?? n
        for (const tag of semantics.iotlbTargets({ ...nctx, nesting }, p.vm, d)) {
          const r = nestedIotlbInvalidate(nesting, tag, d.iova)
          nesting = r.nesting
          events.push({
            _tag: "NestedIotlbInvalidated",
            command: semantics.guestIotlbInvalidation,
            by: p.vm,
            ...tag,
            iova: d.iova,
            dropped: r.dropped.length,
          })
        }
        current = nesting === current.nesting ? current : { ...current, nesting }
      } else {
        const all = semantics.synthesizedAtcTargets(nctx, p.vm, d)
        const first = all[0]?.rid
        const targets = o.targets === "every-table" ? all : all.filter((t) => t.rid === first)
        const sent = sendAtsInvalidations(ctx, current, atIova(targets, d.iova), p.pid)
        current = sent.state
        events.push(...sent.events)
      }
    }
    return { state: current, events }
  }
  const base = {
    _tag: "GuestAtcInvalidation" as const,
    command: semantics.guestAtcInvalidation,
    vm: p.vm,
    vrid: d.vrid,
    pasid: d.pasid,
    iova: d.iova,
  }
  if (ctx.programs.guestQueue.atc.length === 0) return { state, events: [{ ...base, disposition: "discarded" }] }
  for (const o of ctx.programs.guestQueue.atc) {
    const rid = o.vrid === "translated" ? pridOf(n, p.vm, d.vrid) : d.vrid
    if (rid === undefined) {
      events.push({ ...base, disposition: "unknown-vrid" })
      continue
    }
    const sent = sendAtsInvalidations(ctx, current, atIova([{ rid, pasid: d.pasid }], d.iova), p.pid)
    const disposition =
      sent.events.length === 0 ? "no-such-function" : o.vrid === "translated" ? "forwarded" : "forwarded-untranslated"
    current = sent.state
    events.push({ ...base, disposition, rid }, ...sent.events)
  }
  return { state: current, events }
}

/**
 * One step of a guest's invalidation queue. When a `Wait` is at its head: completes it, or waits
 * for Invalidation Completions. Otherwise: the VMM takes every descriptor up to the next `Wait` at
 * once, as a guest submits a batch with one write of the queue tail (VT-d IQT register, AMD
 * command buffer tail, SMMUv3 CMDQ_PROD), which traps once; the IOMMU then runs them in order.
 */
export const advanceGuestInvalidation = (ctx: StepContext, state: State, p: GuestInvalidation): StepResult => {
  const head = p.program[p.pc]
  if (head === undefined) return defect(`${p.pid} has no step at pc ${p.pc}`)
  const leave = (s: State, taken: number): State => {
    const rest = p.program.slice(taken)
    return {
      ...s,
      host: rest.length === 0 ? removeProcedure(s.host, p.pid) : putProcedure(s.host, { ...p, program: rest }),
    }
  }
  if (head._tag === "Wait") {
    let current = state
    const events: Array<Event> = []
    for (const o of ctx.programs.guestQueue.wait) {
      const r = awaitAtsCompletions(current, p.pid, o.onTimeout)
      if ("waiting" in r) return unchanged(state, waiting(r.waiting))
      current = r.state
      events.push(...r.events.filter((e) => e._tag !== "AtsInvalidationWaitDone"))
    }
    return {
      state: leave(current, 1),
      outcome: ok,
      events: [...events, { _tag: "GuestInvalidationDone", pid: p.pid, unmap: head.unmap }],
    }
  }
  let current = state
  const events: Array<Event> = []
  let taken = 0
  for (const d of p.program) {
    if (d._tag === "Wait") break
    const r = execute(ctx, current, p, d)
    current = r.state
    events.push(...r.events)
    taken++
  }
  return { state: leave(current, taken), outcome: ok, events }
}
