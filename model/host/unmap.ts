/**
 * The unmap procedure (`VFIO_IOMMU_UNMAP_DMA` of one page) as a program: `HostUnmapIova` starts it
 * and runs its first operation; `HostAdvance` runs each next one, device actions possible between
 * any two. The scenario's `procedures.unmap` gives the program; absent, the knobs' preset.
 *
 * Operations (each atomic):
 * - `clear-pte`: clear the PTE of (domain, IOVA). Exactly once.
 * - `invalidate-iotlb { scope: "page" | "domain" }`: IOTLB invalidation of (DID, IOVA), or of the
 *   whole DID, with its wait descriptor: executed by the IOMMU alone, no device-visible point
 *   between them, so one step (VT-d 4.x §6.5.2.4 page- and domain-selective IOTLB invalidation,
 *   §6.5.2.8 Invalidation Wait; AMD INVALIDATE_IOMMU_PAGES with S=0/1; SMMUv3 CMD_TLBI_S2_IPA /
 *   CMD_TLBI_S12_VMALL). Default `page`.
 * - `invalidate-atc { targets: "domain-users" | "context-users", range: "page" | "all" }`: an ATS
 *   Invalidate Request (VT-d §6.5.2.5 Device-TLB invalidate, PCIe Base 6.0 §10.3) to every
 *   ATS-enabled requester the domain translates for, each with its PASID (`domain-users`, the scope
 *   rule of `iommu/scope.ts`), or only to the RIDs whose context entry names the domain, without
 *   PASID (`context-users`: a driver that forgets the domain's PASID users); for the IOVA's page or
 *   the whole range. Defaults `domain-users`, `page`.
 * - `wait-atc { onTimeout: "fence" | "treat-as-complete" }`: wait until every Invalidate Request
 *   this unmap sent has its Invalidation Completion, or, when a device cannot answer (hung or
 *   removed), until the host's timeout: see `ats-invalidation.ts` (default: the knob
 *   `atsInvalidationTimeout`'s); needs an `invalidate-atc` before it.
 * - `free-iova`: the IOVA may be mapped again (VFIO's IOVA range is free once the unmap returns;
 *   Linux's flush queue frees IOVAs early, issue "deferred flush"). Without it the IOVA is freed
 *   when the procedure ends.
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
 * wait; `atcInvalidation: "skip"` leaves out `invalidate-atc` and `wait-atc`.
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
import type { Did } from "../iommu/context.ts"
import { clearPte, walk } from "../iommu/domain.ts"
import { domainByDid, domainOfVm, putDomain } from "../iommu/iommu.ts"
import { iotlbInvalidate } from "../iommu/iotlb.ts"
import { domainUsers } from "../iommu/scope.ts"
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
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** Schema of one unmap operation as a scenario writes it. */
export const UnmapOpInput = Schema.Union([
  opInput("clear-pte", {}),
  opInput("invalidate-iotlb", { scope: Schema.optionalKey(Schema.Literals(["page", "domain"])) }),
  opInput("invalidate-atc", {
    targets: Schema.optionalKey(Schema.Literals(["domain-users", "context-users"])),
    range: Schema.optionalKey(Schema.Literals(["page", "all"])),
  }),
  WaitAtcInput,
  opInput("free-iova", {}),
  opInput("free-page", {}),
]).annotate({
  message:
    "Expected an unmap operation: clear-pte, invalidate-iotlb {scope: page|domain}, invalidate-atc {targets: domain-users|context-users, range: page|all}, wait-atc, free-iova, free-page",
})

/** One unmap operation with every parameter (see the module doc). */
export type UnmapOp =
  | { readonly op: "clear-pte" }
  | { readonly op: "invalidate-iotlb"; readonly scope: "page" | "domain" }
  | {
      readonly op: "invalidate-atc"
      readonly targets: "domain-users" | "context-users"
      readonly range: "page" | "all"
    }
  | WaitAtcOp
  | { readonly op: "free-iova" }
  | { readonly op: "free-page" }

/** An unmap operation with its defaults filled in. */
export const unmapOp = (written: typeof UnmapOpInput.Type, policy: PolicyValues): UnmapOp => {
  const p = opParams(written)
  switch (opName(written)) {
    case "wait-atc":
      return waitAtcOp(written as typeof WaitAtcInput.Type, policy)
    case "invalidate-iotlb":
      return { op: "invalidate-iotlb", scope: (p.scope as "page" | "domain" | undefined) ?? "page" }
    case "invalidate-atc":
      return {
        op: "invalidate-atc",
        targets: (p.targets as "domain-users" | "context-users" | undefined) ?? "domain-users",
        range: (p.range as "page" | "all" | undefined) ?? "page",
      }
    default:
      return { op: opName(written) as "clear-pte" | "free-iova" | "free-page" }
  }
}

/** Why an unmap program cannot run as a design (one line), or `undefined`. */
export const unmapProgramError = (ops: ReadonlyArray<UnmapOp>): string | undefined => {
  if (countOps(ops, "clear-pte") !== 1) return "must clear the PTE exactly once (one clear-pte)"
  const wait = waitWithoutSend(ops, "wait-atc", "invalidate-atc")
  if (wait >= 0) return `[${wait}] wait-atc waits for ATS completions but no invalidate-atc comes before it`
  for (const once of ["free-iova", "free-page"]) if (countOps(ops, once) > 1) return `${once} appears more than once`
  return undefined
}

/** The unmap program of the knobs `invalidationOrder` and `atcInvalidation`. */
export const unmapPreset = (policy: PolicyValues): ReadonlyArray<UnmapOp> => {
  const atc: ReadonlyArray<UnmapOp> =
    policy.atcInvalidation === "on"
      ? [{ op: "invalidate-atc", targets: "domain-users", range: "page" }, waitAtcOp("wait-atc", policy)]
      : []
  const iotlb: UnmapOp = { op: "invalidate-iotlb", scope: "page" }
  return policy.invalidationOrder === "iotlb-then-atc"
    ? [{ op: "clear-pte" }, iotlb, ...atc, { op: "free-page" }]
    : [{ op: "clear-pte" }, ...atc, iotlb, { op: "free-page" }]
}

/** An unmap procedure in flight: `pc` indexes the scenario's unmap program (the next operation). */
export interface UnmapProcedure {
  readonly _tag: "Unmap"
  readonly pid: string
  readonly vm: VmId
  readonly did: Did
  readonly iova: Iova
  /** The page the PTE pointed at when the unmap started, which `free-page` frees. */
  readonly page: HpaPage
  readonly pc: number
  /** Whether `free-iova` has run (the IOVA may be mapped again). */
  readonly iovaFreed: boolean
  /** Whether `free-page` has run (the unmap no longer pins the page). */
  readonly pageFreed: boolean
}

/** The pid of the unmap of (`vm`, `iova`): `"unmap:vm1:0x2000"`. */
export const unmapPid = (vm: VmId, iova: Iova): string => `unmap:${vm}:${formatIova(iova)}`

/** Whether an unmap of (`vm`, `iova`) holds the IOVA (in flight, `free-iova` not yet run). */
export const iovaBusy = (state: State, vm: VmId, iova: Iova): boolean =>
  state.host.procedures.some((p) => p._tag === "Unmap" && p.vm === vm && p.iova === iova && !p.iovaFreed)

/**
 * `HostUnmapIova { vm, iova }`: starts the procedure and runs its first operation. Rejected when
 * the VM has no domain, the IOVA is not mapped, or an unmap of it is already in flight.
 */
export const startUnmap = (ctx: StepContext, state: State, vm: VmId, iova: Iova): StepResult => {
  const domain = domainOfVm(state.iommu, vm)
  if (domain === undefined) return unchanged(state, rejected(`${vm} has no domain`))
  const pid = unmapPid(vm, iova)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  const page = walk(domain, iova)
  if (page === undefined) return unchanged(state, rejected(`${formatIova(iova)} is not mapped in ${vm}'s domain`))
  const procedure: UnmapProcedure = {
    _tag: "Unmap",
    pid,
    vm,
    did: domain.did,
    iova,
    page,
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
      command: ctx.vendor.iotlbInvalidation,
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
  state.host.procedures.some((q) => q._tag === "Unmap" && q.page === page && !q.pageFreed)

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
      events: [{ _tag: "UnmapCompleted", vm: p.vm, did: p.did, iova: p.iova, page: p.page }, ...events],
    }
  }
  if (next === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  switch (next.op) {
    case "clear-pte": {
      const domain = domainByDid(state.iommu, p.did)
      if (domain === undefined) return defect(`${p.pid}: no domain ${p.did}`)
      return done({ ...state, iommu: putDomain(state.iommu, clearPte(domain, p.iova)) }, [
        { _tag: "PteCleared", did: p.did, iova: p.iova, page: p.page },
      ])
    }
    case "invalidate-iotlb": {
      const { iotlb, dropped } =
        next.scope === "page"
          ? iotlbInvalidate(state.iommu.iotlb, p.did, p.iova)
          : iotlbInvalidate(state.iommu.iotlb, p.did, undefined)
      const nested = state.nesting === undefined ? undefined : flushNestedTags(ctx, state.nesting, p.vm)
      return done(
        {
          ...state,
          iommu: { ...state.iommu, iotlb },
          ...(nested === undefined ? {} : { nesting: nested.nesting }),
        },
        [
          {
            _tag: "IotlbInvalidated",
            command: ctx.vendor.iotlbInvalidation,
            did: p.did,
            iova: next.scope === "page" ? p.iova : undefined,
            dropped: dropped.length,
          },
          ...(nested?.events ?? []),
        ],
      )
    }
    case "invalidate-atc": {
      const iova = next.range === "page" ? p.iova : undefined
      const users =
        next.targets === "domain-users"
          ? domainUsers(state.iommu, p.did)
          : domainUsers(state.iommu, p.did).filter((u) => u.pasid === undefined)
      const flat = users.map((u) => ({ rid: u.rid, pasid: u.pasid, iova }))
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
    case "free-page": {
      const released: UnmapProcedure = { ...p, pageFreed: true }
      const without = { ...state, host: putProcedure(state.host, released) }
      if (pinned(without, p.page)) return done(state, [], released)
      return done(
        { ...state, memory: setPageOwner(state.memory, p.page, "free") },
        [{ _tag: "PageFreed", page: p.page, from: p.vm }],
        released,
      )
    }
  }
}
