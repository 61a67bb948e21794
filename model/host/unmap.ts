/**
 * The unmap procedure (`VFIO_IOMMU_UNMAP_DMA` of one page) as a program: `HostUnmapIova` starts it
 * and runs its first operation; `HostAdvance` runs each next one, device actions possible between
 * any two. The scenario's `procedures.unmap` gives the program; absent, the knobs' preset.
 *
 * Operations (each atomic):
 The unmap is of a whole mapping: one granule, or several (the model's large page,
 * `iommu/domain.ts`).
 *
 * - `clear-pte`: clear the PTEs of the mapping. Exactly once.
 * - `invalidate-iotlb { scope: "range" | "first-page" | "domain" }`: IOTLB invalidation of the
 *   mapping's range in its domain (a range-selective invalidation: VT-d address mask AM, SMMUv3
 *   range TG/NUM/SCALE, AMD S bit), of its first granule only (a flush that covers less than the
 *   mapping when the mapping is a large page whose translations the IOTLB cached per granule), or of
 *   the whole domain, with its wait descriptor: executed by the IOMMU alone, no device-visible
 *   point between them, so one step (VT-d 4.x §6.5.2.4, §6.5.2.8 Invalidation Wait; AMD
 *   INVALIDATE_IOMMU_PAGES; SMMUv3 CMD_TLBI_S2_IPA / CMD_TLBI_S12_VMALL). Default: the knob
 *   `unmapFlushRange`'s (`range`).
 * - `invalidate-atc { targets: "domain-users" | "context-users", range: "range" | "first-page" | "all" }`: an ATS
 *   Invalidate Request (VT-d §6.5.2.5 Device-TLB invalidate, PCIe Base 6.0 §10.3) to every
 *   ATS-enabled requester the domain translates for, each with its PASID (`domain-users`, the scope
 *   rule of `iommu/scope.ts`), or only to the RIDs whose context entry names the domain, without
 *   PASID (`context-users`: a driver that forgets the domain's PASID users); for the mapping's range, its first granule, or
 *   the whole address space (an Invalidate Request carries a size, PCIe Base 6.0 §10.3.1). Defaults
 *   `domain-users`, the knob `unmapFlushRange`'s (`range`).
 * - `wait-atc { onTimeout: "fence" | "treat-as-complete" }`: wait until every Invalidate Request
 *   this unmap sent has its Invalidation Completion, or, when a device cannot answer (hung or
 *   removed), until the host's timeout: see `ats-invalidation.ts` (default: the knob
 *   `atsInvalidationTimeout`'s); needs an `invalidate-atc` before it.
 * - `free-iova`: the IOVA may be mapped again (VFIO's IOVA range is free once the unmap returns;
 *   Linux's flush queue frees IOVAs early, issue "deferred flush"). Without it the IOVA is freed
 *   when the procedure ends.
 * - `defer-flush`: instead of flushing now, queue the IOVA for the next batch flush
 *   (`flush-queue.ts`, Linux's flush queue with `iommu.strict=0`); `wait-flush`: wait until that
 *   batch has run (needs a `defer-flush` before it).
 * - `free-page`: unpin the page and, when nothing else pins it (no other PTE maps it and no other
 *   unmap in flight holds it), free it. VFIO pins a page once per mapping (Linux
 *   `vfio_iommu_type1`: `vfio_pin_pages_remote` on map, `vfio_unpin_pages_remote` after
 *   `iommu_unmap` and the IOTLB sync), so a page mapped at two IOVAs stays the VM's until both
 *   unmaps are done. Without it the page stays the VM's.
 *
 * Presets of the knobs: `invalidationOrder: "iotlb-then-atc"` with `atcInvalidation: "on"` is
 * `clear-pte → invalidate-iotlb → invalidate-atc → wait-atc → free-page` (the spec's order: "since
 * translation requests from a device may be serviced by hardware from the IOTLB, software must
 * always request IOTLB invalidation before requesting corresponding Device-TLB invalidation", VT-d
 * §6.5.2.5; Linux `iommu_flush_iova`); `"atc-then-iotlb"` moves the IOTLB invalidation after the
 * wait; `atcInvalidation: "skip"` leaves out `invalidate-atc` and `wait-atc`. The knob `unmapFlush`
 * replaces the flushes by the batch: `"deferred"` is Linux's lazy DMA API (`clear-pte →
 * defer-flush → free-page → wait-flush → free-iova`: the IOVA is not reused before the flush, the
 * page is, accepting a window where a device may still reach it) and `"deferred-page-held"` keeps
 * the page until the flush (`clear-pte → defer-flush → wait-flush → free-page`).
 *
 * Under nesting the domain is a nesting parent: the combined IOTLB entries built on it may hold the
 * unmapped GPA under any stage-1 IOVA, so `invalidate-iotlb` also flushes every hardware tag of the
 * VM's nested attachments whole, and `invalidate-atc` sends an all-addresses ATS Invalidate Request
 * for each nested (pRID, PASID) (Linux `intel/cache.c` flushes a nested domain's whole DID and its
 * Device-TLBs when its parent changes; `arm-smmu-v3` issues CMD_TLBI_NH_ALL for a nesting parent).
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import { formatIova, type HpaPage, type Iova, type VmId } from "../ids.ts"
import { clearPte, mappingAt, type Pte } from "../iommu/domain.ts"
import { domainOfVm, putDomain } from "../iommu/iommu.ts"
import { iotlbInvalidate } from "../iommu/iotlb.ts"
import { domainUsers } from "../iommu/scope.ts"
import { detachingPasids } from "./pasid-teardown.ts"
import { iotlbCommand } from "../vendor.ts"
import { setPageOwner } from "../memory/pages.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import type { PolicyValues } from "../policy.ts"
import { countOps, opInput, opName, opParams, waitWithoutSend } from "../program.ts"
import { distinctTags, type Nesting, nestedIotlbInvalidate, tagOf } from "../nesting/nesting.ts"
import {
  awaitAtsCompletions,
  sendAtsInvalidations,
  WaitAtcInput,
  type WaitAtcOp,
  waitAtcOp,
} from "./ats-invalidation.ts"
import type { Event } from "../event.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { flushPending } from "./flush-queue.ts"
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** Schema of one unmap operation as a scenario writes it. */
export const UnmapOpInput = Schema.Union([
  opInput("clear-pte", {}),
  // "page": the name files written before mappings of several granules existed use for "range" (the
  // one page an unmap then removed); read as "range", so those files keep their meaning.
  opInput("invalidate-iotlb", {
    scope: Schema.optionalKey(Schema.Literals(["range", "first-page", "domain", "page"])),
  }),
  opInput("invalidate-atc", {
    targets: Schema.optionalKey(Schema.Literals(["domain-users", "context-users"])),
    range: Schema.optionalKey(Schema.Literals(["range", "first-page", "all", "page"])),
  }),
  WaitAtcInput,
  opInput("free-iova", {}),
  opInput("free-page", {}),
  opInput("defer-flush", {}),
  opInput("wait-flush", {}),
]).annotate({
  message:
    "Expected an unmap operation: clear-pte, invalidate-iotlb {scope: range|first-page|domain}, invalidate-atc {targets: domain-users|context-users, range: range|first-page|all}, wait-atc {onTimeout}, free-iova, free-page, defer-flush, wait-flush",
})

/** One unmap operation with every parameter (see the module doc). */
export type UnmapOp =
  | { readonly op: "clear-pte" }
  | { readonly op: "invalidate-iotlb"; readonly scope: "range" | "first-page" | "domain" }
  | {
      readonly op: "invalidate-atc"
      readonly targets: "domain-users" | "context-users"
      readonly range: "range" | "first-page" | "all"
    }
  | WaitAtcOp
  | { readonly op: "free-iova" }
  | { readonly op: "free-page" }
  | { readonly op: "defer-flush" }
  | { readonly op: "wait-flush" }

/** How a flush covers a mapping of several granules, by the knob `unmapFlushRange`. */
const rangeOf = (policy: PolicyValues): "range" | "first-page" =>
  policy.unmapFlushRange === "whole-mapping" ? "range" : "first-page"

/** The pre-range name `"page"` read as `"range"`; any other value as written. */
const legacyPage = <A extends string>(v: A | "page" | undefined): A | "range" | undefined =>
  v === "page" ? "range" : (v as A | undefined)

/** An unmap operation with its defaults filled in. */
export const unmapOp = (written: typeof UnmapOpInput.Type, policy: PolicyValues): UnmapOp => {
  const p = opParams(written)
  switch (opName(written)) {
    case "wait-atc":
      return waitAtcOp(written as typeof WaitAtcInput.Type, policy)
    case "invalidate-iotlb":
      return {
        op: "invalidate-iotlb",
        scope: legacyPage(p.scope as "range" | "first-page" | "domain" | "page" | undefined) ?? rangeOf(policy),
      }
    case "invalidate-atc":
      return {
        op: "invalidate-atc",
        targets: (p.targets as "domain-users" | "context-users" | undefined) ?? "domain-users",
        range: legacyPage(p.range as "range" | "first-page" | "all" | "page" | undefined) ?? rangeOf(policy),
      }
    default:
      return { op: opName(written) as "clear-pte" | "free-iova" | "free-page" | "defer-flush" | "wait-flush" }
  }
}

/** Why an unmap program cannot run as a design (one line), or `undefined`. */
export const unmapProgramError = (ops: ReadonlyArray<UnmapOp>): string | undefined => {
  if (countOps(ops, "clear-pte") !== 1) return "must clear the PTE exactly once (one clear-pte)"
  const wait = waitWithoutSend(ops, "wait-atc", "invalidate-atc")
  if (wait >= 0) return `[${wait}] wait-atc waits for ATS completions but no invalidate-atc comes before it`
  const flush = waitWithoutSend(ops, "wait-flush", "defer-flush")
  if (flush >= 0) return `[${flush}] wait-flush waits for a batch flush but no defer-flush comes before it`
  for (const once of ["free-iova", "free-page", "defer-flush"])
    if (countOps(ops, once) > 1) return `${once} appears more than once`
  return undefined
}

/** The unmap program of the knobs `invalidationOrder` and `atcInvalidation`. */
export const unmapPreset = (policy: PolicyValues): ReadonlyArray<UnmapOp> => {
  if (policy.unmapFlush === "deferred")
    return [{ op: "clear-pte" }, { op: "defer-flush" }, { op: "free-page" }, { op: "wait-flush" }, { op: "free-iova" }]
  if (policy.unmapFlush === "deferred-page-held")
    return [{ op: "clear-pte" }, { op: "defer-flush" }, { op: "wait-flush" }, { op: "free-page" }]
  const atc: ReadonlyArray<UnmapOp> =
    policy.atcInvalidation === "on"
      ? [{ op: "invalidate-atc", targets: "domain-users", range: rangeOf(policy) }, waitAtcOp("wait-atc", policy)]
      : []
  const iotlb: UnmapOp = { op: "invalidate-iotlb", scope: rangeOf(policy) }
  return policy.invalidationOrder === "iotlb-then-atc"
    ? [{ op: "clear-pte" }, iotlb, ...atc, { op: "free-page" }]
    : [{ op: "clear-pte" }, ...atc, iotlb, { op: "free-page" }]
}

/** An unmap procedure in flight: `pc` indexes the scenario's unmap program (the next operation). */
export interface UnmapProcedure {
  readonly _tag: "Unmap"
  readonly pid: string
  readonly vm: VmId
  /** The first IOVA of the mapping. */
  readonly iova: Iova
  /** The granules of the mapping when the unmap started (IOVA and the page `free-page` frees). */
  readonly granules: ReadonlyArray<Pte>
  readonly pc: number
  /** Whether `free-iova` has run (the IOVA may be mapped again). */
  readonly iovaFreed: boolean
  /** Whether `free-page` has run (the unmap no longer pins the page). */
  readonly pageFreed: boolean
}

/** The pid of the unmap of (`vm`, `iova`): `"unmap:vm1:0x2000"`. */
export const unmapPid = (vm: VmId, iova: Iova): string => `unmap:${vm}:${formatIova(iova)}`

/** Whether an unmap of `vm` holds `iova` (one of its granules; in flight, `free-iova` not yet run). */
export const iovaBusy = (state: State, vm: VmId, iova: Iova): boolean =>
  state.host.procedures.some(
    (p) => p._tag === "Unmap" && p.vm === vm && !p.iovaFreed && p.granules.some((g) => g.iova === iova),
  )

/** Whether an unmap of `vm` covering `iova` is in flight. */
export const unmapCovers = (state: State, vm: VmId, iova: Iova): boolean =>
  state.host.procedures.some((p) => p._tag === "Unmap" && p.vm === vm && p.granules.some((g) => g.iova === iova))

/**
 * `HostUnmapIova { vm, iova }`: starts the unmap of the mapping that begins at `iova` and runs its
 * first operation. Rejected when the VM has no domain, no mapping begins at the IOVA (vfio unmaps a
 * mapping whole; a firmware unity map is none of its), or an unmap of it is already in flight.
 */
export const startUnmap = (ctx: StepContext, state: State, vm: VmId, iova: Iova): StepResult => {
  const domain = domainOfVm(state.iommu, vm)
  if (domain === undefined) return unchanged(state, rejected(`${vm} has no domain`))
  const pid = unmapPid(vm, iova)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  const granules = mappingAt(domain, iova)
  if (granules[0]?.iova !== iova)
    return unchanged(state, rejected(`no mapping of ${vm}'s domain begins at ${formatIova(iova)}`))
  if (granules[0].unity === true)
    return unchanged(state, rejected(`${formatIova(iova)} is a firmware unity map, not a mapping of the VMM's`))
  const procedure: UnmapProcedure = {
    _tag: "Unmap",
    pid,
    vm,
    iova,
    granules,
    pc: 0,
    iovaFreed: false,
    pageFreed: false,
  }
  return advanceUnmap(ctx, { ...state, host: putProcedure(state.host, procedure) }, procedure)
}

/** Flushes, whole, every hardware tag of `vm`'s nested attachments (the parent changed under them). */
const flushNestedTags = (
  ctx: StepContext,
  n: Nesting,
  vm: VmId,
): { readonly nesting: Nesting; readonly events: ReadonlyArray<Event> } => {
  let nesting = n
  const events: Array<Event> = []
  for (const tag of distinctTags(n.attachments.filter((a) => a.vm === vm).map(tagOf))) {
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
  return { nesting, events }
}

/** Whether some PTE, or some unmap in flight that has not yet freed it, still holds `page`. */
export const pinned = (state: State, page: HpaPage): boolean =>
  state.iommu.domains.some((d) => d.ptes.some((pte) => pte.page === page)) ||
  state.host.procedures.some((q) => q._tag === "Unmap" && !q.pageFreed && q.granules.some((g) => g.page === page))

/** Runs the operation at `pc` of an unmap procedure (see the module doc); the last one ends it. */
export const advanceUnmap = (ctx: StepContext, state: State, p: UnmapProcedure): StepResult => {
  const program = ctx.programs.unmap
  const next = program[p.pc]
  const done = (s: State, events: StepResult["events"], q: UnmapProcedure = p): StepResult => {
    if (p.pc + 1 < program.length)
      return { state: { ...s, host: putProcedure(s.host, { ...q, pc: p.pc + 1 }) }, outcome: ok, events }
    return {
      state: { ...s, host: removeProcedure(s.host, p.pid) },
      outcome: ok,
      events: [{ _tag: "UnmapCompleted", vm: p.vm, iova: p.iova, pages: p.granules.map((g) => g.page) }, ...events],
    }
  }
  if (next === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  const domain = domainOfVm(state.iommu, p.vm)
  if (domain === undefined) return defect(`${p.pid}: no domain of ${p.vm}`)
  const did = domain.did
  switch (next.op) {
    case "clear-pte":
      return done(
        {
          ...state,
          iommu: putDomain(
            state.iommu,
            p.granules.reduce((d, g) => clearPte(d, g.iova), domain),
          ),
        },
        p.granules.map((g) => ({ _tag: "PteCleared" as const, vm: p.vm, iova: g.iova, page: g.page })),
      )
    case "invalidate-iotlb": {
      const { iotlb, dropped } =
        did === undefined
          ? { iotlb: state.iommu.iotlb, dropped: [] }
          : next.scope === "domain"
            ? iotlbInvalidate(state.iommu.iotlb, did, undefined)
            : iotlbInvalidate(state.iommu.iotlb, did, p.iova, next.scope === "range" ? p.granules.length : 1)
      const nested = state.nesting === undefined ? undefined : flushNestedTags(ctx, state.nesting, p.vm)
      return done(
        {
          ...state,
          iommu: { ...state.iommu, iotlb },
          ...(nested === undefined ? {} : { nesting: nested.nesting }),
        },
        [
          ...(did === undefined
            ? []
            : [
                {
                  _tag: "IotlbInvalidated" as const,
                  command: iotlbCommand(ctx.vendor, next.scope === "domain" ? undefined : p.iova),
                  did,
                  iova: next.scope === "domain" ? undefined : p.iova,
                  ...(next.scope === "range" && p.granules.length > 1 ? { pages: p.granules.length } : {}),
                  dropped: dropped.length,
                },
              ]),
          ...(nested?.events ?? []),
        ],
      )
    }
    case "invalidate-atc": {
      const iova = next.range === "all" ? undefined : p.iova
      const pages = next.range === "range" ? p.granules.length : 1
      const all = did === undefined ? [] : domainUsers(state.iommu, did, detachingPasids(state.host))
      const users = next.targets === "domain-users" ? all : all.filter((u) => u.pasid === undefined)
      const flat = users.map((u) => ({ rid: u.rid, pasid: u.pasid, iova, pages }))
      const nested = (state.nesting?.attachments ?? [])
        .filter((a) => a.vm === p.vm)
        .map((a) => ({ rid: a.rid, pasid: a.pasid === 0 ? undefined : a.pasid }))
      const sent = sendAtsInvalidations(ctx, state, [...flat, ...nested], p.pid)
      return done(sent.state, sent.events)
    }
    case "wait-atc": {
      const r = awaitAtsCompletions(state, p.pid, next.onTimeout)
      return "waiting" in r ? unchanged(state, waiting(r.waiting)) : done(r.state, r.events)
    }
    case "free-iova":
      return done(state, [{ _tag: "IovaFreed", vm: p.vm, iova: p.iova }], { ...p, iovaFreed: true })
    case "defer-flush":
      return done(
        {
          ...state,
          host: {
            ...state.host,
            flushQueue: [
              ...state.host.flushQueue.filter((q) => q.vm !== p.vm || !p.granules.some((g) => g.iova === q.iova)),
              ...p.granules.map((g) => ({ vm: p.vm, iova: g.iova })),
            ].sort((a, b) => (a.vm < b.vm ? -1 : a.vm > b.vm ? 1 : a.iova - b.iova)),
          },
        },
        [{ _tag: "FlushDeferred", vm: p.vm, iova: p.iova }],
      )
    case "wait-flush":
      return p.granules.some((g) => flushPending(state, p.vm, g.iova))
        ? unchanged(state, waiting(`the batch flush of ${formatIova(p.iova)} has not run`))
        : done(state, [])
    case "free-page": {
      const released: UnmapProcedure = { ...p, pageFreed: true }
      const without = { ...state, host: putProcedure(state.host, released) }
      const freed = p.granules.map((g) => g.page).filter((page) => !pinned(without, page))
      return done(
        { ...state, memory: freed.reduce((m, page) => setPageOwner(m, page, "free"), state.memory) },
        freed.map((page) => ({ _tag: "PageFreed" as const, page, from: p.vm })),
        released,
      )
    }
  }
}
