/**
 * The deferred (lazy, batched) IOTLB flush (issue "deferred flush"; Linux `iommu.strict=0`, the
 * DMA API's flush queue in `dma-iommu.c`: `queue_iova` on unmap, `fq_flush_iotlb` from a timer or
 * when the queue fills): an unmap's `defer-flush` queues its (VM, IOVA) instead of flushing, and
 * `HostFlushQueue {}` (the timer firing) flushes everything queued in one batch, as a program:
 * - `invalidate-iotlb`: domain-selective IOTLB invalidation of every domain with queued IOVAs (and,
 *   under nesting, every hardware tag of those VMs' nested attachments);
 * - `invalidate-atc`: an ATS Invalidate Request, whole range, to every requester of those domains
 *   (`iommu/scope.ts`; the nested (pRID, PASID)s of those VMs);
 * - `wait-atc { onTimeout }`: their completions (`ats-invalidation.ts`);
 * - `complete`: the batch's entries leave the queue; an unmap waiting for them (`wait-flush`) goes
 *   on. Exactly once.
 * Default: `invalidate-iotlb → invalidate-atc → wait-atc → complete`. The scenario's
 * `procedures.flush-queue` gives it. What an unmap may do before its flush is done (free the page,
 * free the IOVA) is the unmap program's design (`unmap.ts`, knob `unmapFlush`).
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import type { Event } from "../event.ts"
import type { Iova, VmId } from "../ids.ts"
import { domainOfVm } from "../iommu/iommu.ts"
import { iotlbInvalidate } from "../iommu/iotlb.ts"
import { domainUsers } from "../iommu/scope.ts"
import { detachingPasids } from "./pasid-teardown.ts"
import { distinctTags, nestedIotlbInvalidate, tagOf } from "../nesting/nesting.ts"
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
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** An IOVA an unmap queued for the next batch flush. */
export interface QueuedFlush {
  readonly vm: VmId
  readonly iova: Iova
}

/** Schema of one flush-queue operation as a scenario writes it. */
export const FlushQueueOpInput = Schema.Union([
  opInput("invalidate-iotlb", {}),
  opInput("invalidate-atc", {}),
  WaitAtcInput,
  opInput("complete", {}),
]).annotate({
  message: "Expected a flush-queue operation: invalidate-iotlb, invalidate-atc, wait-atc {onTimeout}, complete",
})

/** One flush-queue operation. */
export type FlushQueueOp = { readonly op: "invalidate-iotlb" | "invalidate-atc" | "complete" } | WaitAtcOp

/** A flush-queue operation as data. */
export const flushQueueOp = (written: typeof FlushQueueOpInput.Type, policy: PolicyValues): FlushQueueOp =>
  opName(written) === "wait-atc"
    ? waitAtcOp(written as typeof WaitAtcInput.Type, policy)
    : { op: opName(written) as "invalidate-iotlb" | "invalidate-atc" | "complete" }

/** Why a flush-queue program cannot run (one line), or `undefined`. */
export const flushQueueProgramError = (ops: ReadonlyArray<FlushQueueOp>): string | undefined => {
  if (countOps(ops, "complete") !== 1) return "must complete the batch exactly once (one complete)"
  const wait = waitWithoutSend(ops, "wait-atc", "invalidate-atc")
  if (wait >= 0) return `[${wait}] wait-atc waits for ATS completions but no invalidate-atc comes before it`
  return undefined
}

/** The default batch program. */
export const flushQueuePreset = (policy: PolicyValues): ReadonlyArray<FlushQueueOp> => [
  { op: "invalidate-iotlb" },
  { op: "invalidate-atc" },
  waitAtcOp("wait-atc", policy),
  { op: "complete" },
]

/** A batch flush in flight, with the entries it flushes (those queued when it started). */
export interface FlushQueueProcedure {
  readonly _tag: "FlushQueue"
  readonly pid: string
  readonly batch: ReadonlyArray<QueuedFlush>
  readonly pc: number
}

/** The pid of the batch flush. */
export const FLUSH_QUEUE_PID = "flushq"

/** Whether (`vm`, `iova`) waits for a batch flush: queued, or in the batch in flight. */
export const flushPending = (state: State, vm: VmId, iova: Iova): boolean =>
  state.host.flushQueue.some((q) => q.vm === vm && q.iova === iova) ||
  state.host.procedures.some((p) => p._tag === "FlushQueue" && p.batch.some((q) => q.vm === vm && q.iova === iova))

/** `HostFlushQueue {}`: the flush-queue timer fires. Rejected when nothing is queued or a batch is in flight. */
export const startFlushQueue = (ctx: StepContext, state: State): StepResult => {
  if (state.host.flushQueue.length === 0) return unchanged(state, rejected("the flush queue is empty"))
  if (procedureByPid(state.host, FLUSH_QUEUE_PID) !== undefined)
    return unchanged(state, rejected("a batch flush is in flight"))
  const p: FlushQueueProcedure = { _tag: "FlushQueue", pid: FLUSH_QUEUE_PID, batch: state.host.flushQueue, pc: 0 }
  const queued: State = { ...state, host: putProcedure({ ...state.host, flushQueue: [] }, p) }
  return advanceFlushQueue(ctx, queued, p)
}

/** Runs the operation at `pc` of a batch flush; the last one ends it. */
export const advanceFlushQueue = (ctx: StepContext, state: State, p: FlushQueueProcedure): StepResult => {
  const program = ctx.programs.flushQueue
  const next = program[p.pc]
  const done = (s: State, events: ReadonlyArray<Event>, q: FlushQueueProcedure = p): StepResult => ({
    state: {
      ...s,
      host: p.pc + 1 < program.length ? putProcedure(s.host, { ...q, pc: p.pc + 1 }) : removeProcedure(s.host, p.pid),
    },
    outcome: ok,
    events,
  })
  if (next === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  const vms = [...new Set(p.batch.map((q) => q.vm))].sort()
  switch (next.op) {
    case "invalidate-iotlb": {
      let iotlb = state.iommu.iotlb
      let nesting = state.nesting
      const events: Array<Event> = []
      for (const vm of vms) {
        const did = domainOfVm(state.iommu, vm)?.did
        if (did !== undefined) {
          const r = iotlbInvalidate(iotlb, did, undefined)
          iotlb = r.iotlb
          events.push({
            _tag: "IotlbInvalidated",
            command: ctx.vendor.iotlbDomainInvalidation,
            did,
            iova: undefined,
            dropped: r.dropped.length,
          })
        }
        if (nesting !== undefined)
          for (const tag of distinctTags(nesting.attachments.filter((a) => a.vm === vm).map(tagOf))) {
            const r = nestedIotlbInvalidate(nesting, tag, undefined)
            nesting = r.nesting
            events.push({
              _tag: "NestedIotlbInvalidated",
              command: ctx.vendor.iotlbDomainInvalidation,
              by: "host",
              ...tag,
              iova: undefined,
              dropped: r.dropped.length,
            })
          }
      }
      return done({ ...state, iommu: { ...state.iommu, iotlb }, ...(nesting === undefined ? {} : { nesting }) }, events)
    }
    case "invalidate-atc": {
      const targets = vms.flatMap((vm) => {
        const did = domainOfVm(state.iommu, vm)?.did
        return [
          ...(did === undefined ? [] : domainUsers(state.iommu, did, detachingPasids(state.host))).map((u) => ({
            rid: u.rid,
            pasid: u.pasid,
          })),
          ...(state.nesting?.attachments ?? [])
            .filter((a) => a.vm === vm)
            .map((a) => ({ rid: a.rid, pasid: a.pasid === 0 ? undefined : a.pasid })),
        ]
      })
      const sent = sendAtsInvalidations(ctx, state, targets, p.pid)
      return done(sent.state, sent.events)
    }
    case "wait-atc": {
      const r = awaitAtsCompletions(state, p.pid, next.onTimeout)
      return "waiting" in r ? unchanged(state, waiting(r.waiting)) : done(r.state, r.events)
    }
    case "complete":
      return done(state, [{ _tag: "FlushQueueDone", flushed: p.batch.length }], { ...p, batch: [] })
  }
}
