/**
 * A function leaving its owner (DESIGN.md §9, "shared mechanisms"; issue "device lifecycle"): vfio
 * releasing a device from a VM, back to the host (`HostReleaseFunction`: vfio device close, or its
 * remove path after a surprise removal) or on to another VM (`HostReassignFunction`), as one
 * program that releases everything the owner had through the function. Device traffic (posted
 * writes arriving, a hung device) interleaves between any two operations; the guest no longer sees
 * the device (the VMM unplugged it before vfio closes it), so its commands naming it are refused.
 * vfio serializes a device's reset and its release (both under the device set lock, and a file is
 * not closed while an ioctl on it runs): a release waits while a reset of the function is in flight.
 * The scenario's `procedures.release` gives the program. When the release starts, the VMM has
 * already unplugged the device from the guest: under nesting its vIOMMU detached the device's nested
 * domains (with their flush), as QEMU does on device_del before closing the vfio device.
 *
 * Operations, in the order Linux runs them by default (`vfio_pci_core_close_device` →
 * `vfio_pci_core_disable`: `pci_clear_master`, `vfio_pci_set_irqs_ioctl(… DATA_NONE …)`,
 * `pci_try_reset_function` whose FLR first waits for pending transactions; then iommufd's unbind
 * detaches the PASIDs with the auto-response of their pending faults and moves the device to a
 * blocking domain; a reassignment then opens it for the next VM):
 * - `clear-bme`: clear Bus Master Enable: the function sends no new request (a configuration
 *   write: a locked TDI goes to ERROR).
 * - `free-irtes`: disable MSI-X and free the IRQs: every IRTE whose SID is the function's RID is
 *   cleared and its IEC entry invalidated (`intel_irq_remapping_free`); an IRTE programming of its
 *   entries in flight is abandoned.
 * - `wait-idle`: wait until no posted write of the function is in the fabric (the flush a read of
 *   the function gives, PCIe Base 6.0 §2.4.1; `pcie_flr` waits for Transactions Pending first).
 * - `reset`: Function Level Reset (PCIe Base 6.0 §6.6.2): the device's ATC is emptied, the ATS
 *   Invalidate Requests it had not answered are discarded, its outstanding page request groups are
 *   forgotten, its MSI-X table is masked; a TDI in CONFIG_LOCKED or RUN goes to ERROR (TDISP ECN
 *   §11.2.6). Configuration is restored as vfio saved it; Bus Master Enable stays as it was.
 * - `invalidate-atc`: ATS Invalidate Requests for every translation the function may cache
 *   (without PASID, and with each PASID of the scenario), whole range; `wait-atc { onTimeout }`:
 *   their completions, or the host's timeout (`ats-invalidation.ts`).
 * - `unbind-pasids`: clear every PASID entry of the function (a PASID procedure of it in flight is
 *   abandoned); `invalidate-pasid-cache { tag }`: drop their cached copies (`entry-invalidation.ts`).
 * - `drain-prq`: drop the function's page requests from the page request queue and those
 *   delivered to a guest and not answered, and answer its outstanding groups with failure.
 * - `detach { to: "blocking" | "host-identity" }`: the function leaves the VM: its context entry
 *   is cleared (a blocking domain: Linux's blocked domain, iommufd's default on release) or becomes
 *   pass-through (the host's identity domain, `iommu.passthrough=1`: XSA-302's deassigned device
 *   that could still DMA into the host); its vRID is removed from the VM's virtual IOMMU with its
 *   vDEVICE (`vRidOnReassign`); when it was the last user of the VM's domain, the domain's
 *   Domain-ID goes back to the pool (`iommu/domain-tag.ts`), `freeTag: "after-flush"` (a
 *   domain-selective IOTLB invalidation first) or `"without-flush"` (knob `domainTagFree`); vfio's
 *   emulated capability and
 *   the old guest's driver state for it (capability writes, DMA handles and their vIOMMU mappings)
 *   go, its TDI is stopped (CONFIG_UNLOCKED, T=0); the host owns it. Exactly once.
 * - `invalidate-context-cache { tag }`: drop the cached copy of the function's old context entry
 *   (VT-d device-selective context-cache invalidation, AMD INVALIDATE_DEVTAB_ENTRY, SMMUv3
 *   CMD_CFGI_STE); until then requests meet the old entry and its domain.
 * - `attach`: for a reassignment, the next VM gets the function as a fresh assignment does (its
 *   context entry, vRID, emulated capability; Bus Master Enable as its driver sets it); for a
 *   release to the host, nothing. Exactly once, after `detach`.
 *
 * Presets of the knobs `releaseDomain` (the `detach` target), `releaseQuiesce` (`"wait-idle"` or
 * `"none"`) and `releaseIrtes` (`"free"` or `"keep"`): `clear-bme → free-irtes → wait-idle → reset
 * → unbind-pasids → invalidate-pasid-cache → drain-prq → detach(blocking) → invalidate-context-cache
 * → attach` by default; the tag of the cache invalidations is the knob `entryCacheTag`'s. Leaving out `drain-prq` is a
 * program of the scenario's own (no knob: its shortest violation needs the guest to enable PASID
 * and PRI through vfio's enforced capability first, about 25 commands).
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import type { Event } from "../event.ts"
import type { FunctionOwner, Rid, VmId } from "../ids.ts"
import { contextDid, type Did } from "../iommu/context.ts"
import { releaseDomainTag } from "../iommu/domain-tag.ts"
import { invalidateContextCache, invalidatePasidCache } from "../iommu/entry-cache.ts"
import { invalidateIec, writeIrte } from "../iommu/interrupt-remapping.ts"
import { domainOfVm } from "../iommu/iommu.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import { writeFunctionConfig } from "../pcie/config-write.ts"
import { functionLevelReset } from "../pcie/flr.ts"
import { functionIndex, updateFunction } from "../pcie/function.ts"
import { detachAll } from "../nesting/stage1.ts"
import { putVrids, viommuOf, vridOf } from "../nesting/nesting.ts"
import type { PolicyValues } from "../policy.ts"
import { countOps, opInput, opName, opParams, waitWithoutSend } from "../program.ts"
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
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"
import { resetPid } from "./reset.ts"
import { attachFunction } from "./vfio.ts"

/** Schema of one release operation as a scenario writes it. */
export const ReleaseOpInput = Schema.Union([
  opInput("clear-bme", {}),
  opInput("free-irtes", {}),
  opInput("wait-idle", {}),
  opInput("reset", {}),
  opInput("invalidate-atc", {}),
  WaitAtcInput,
  opInput("unbind-pasids", {}),
  CacheInvalidationInput("invalidate-pasid-cache"),
  opInput("drain-prq", {}),
  opInput("detach", {
    to: Schema.optionalKey(Schema.Literals(["blocking", "host-identity"])),
    freeTag: Schema.optionalKey(Schema.Literals(["after-flush", "without-flush"])),
  }),
  CacheInvalidationInput("invalidate-context-cache"),
  opInput("attach", {}),
]).annotate({
  message:
    "Expected a release operation: clear-bme, free-irtes, wait-idle, reset, invalidate-atc, wait-atc {onTimeout}, unbind-pasids, invalidate-pasid-cache {tag: old|new|global}, drain-prq, detach {to: blocking|host-identity, freeTag: after-flush|without-flush}, invalidate-context-cache {tag: old|new|global}, attach",
})

/** One release operation with every parameter. */
export type ReleaseOp =
  | {
      readonly op:
        | "clear-bme"
        | "free-irtes"
        | "wait-idle"
        | "reset"
        | "invalidate-atc"
        | "unbind-pasids"
        | "drain-prq"
        | "attach"
    }
  | WaitAtcOp
  | CacheInvalidationOp<"invalidate-pasid-cache" | "invalidate-context-cache">
  | {
      readonly op: "detach"
      readonly to: "blocking" | "host-identity"
      readonly freeTag: "after-flush" | "without-flush"
    }

/** A release operation with its defaults filled in (`detach` to the knob `releaseDomain`'s target). */
export const releaseOp = (written: typeof ReleaseOpInput.Type, policy: PolicyValues): ReleaseOp => {
  switch (opName(written)) {
    case "wait-atc":
      return waitAtcOp(written as typeof WaitAtcInput.Type, policy)
    case "detach":
      return {
        op: "detach",
        to: (opParams(written).to as "blocking" | "host-identity" | undefined) ?? policy.releaseDomain,
        freeTag: (opParams(written).freeTag as "after-flush" | "without-flush" | undefined) ?? freeTagOf(policy),
      }
    case "invalidate-pasid-cache":
    case "invalidate-context-cache":
      return cacheInvalidationOp(
        opName(written) as "invalidate-pasid-cache" | "invalidate-context-cache",
        written,
        policy,
      )
    default:
      return {
        op: opName(written) as Exclude<
          ReleaseOp["op"],
          "wait-atc" | "detach" | "invalidate-pasid-cache" | "invalidate-context-cache"
        >,
      }
  }
}

/** Why a release program cannot run (one line), or `undefined`. */
export const releaseProgramError = (ops: ReadonlyArray<ReleaseOp>): string | undefined => {
  if (countOps(ops, "detach") !== 1) return "must detach the function exactly once (one detach)"
  if (countOps(ops, "attach") !== 1) return "must attach it to its next owner exactly once (one attach)"
  if (ops.findIndex((o) => o.op === "attach") < ops.findIndex((o) => o.op === "detach"))
    return "attach must come after detach"
  const wait = waitWithoutSend(ops, "wait-atc", "invalidate-atc")
  if (wait >= 0) return `[${wait}] wait-atc waits for ATS completions but no invalidate-atc comes before it`
  return undefined
}

/** How `detach` frees the VM's Domain-ID when the function was its last user, by the knob `domainTagFree`. */
const freeTagOf = (policy: PolicyValues): "after-flush" | "without-flush" =>
  policy.domainTagFree === "flush-then-free" ? "after-flush" : "without-flush"

/** The release program of the knobs `releaseDomain`, `releaseQuiesce` and `releaseIrtes`. */
export const releasePreset = (policy: PolicyValues): ReadonlyArray<ReleaseOp> => [
  { op: "clear-bme" },
  ...(policy.releaseIrtes === "free" ? [{ op: "free-irtes" } as const] : []),
  ...(policy.releaseQuiesce === "wait-idle" ? [{ op: "wait-idle" } as const] : []),
  { op: "reset" },
  { op: "unbind-pasids" },
  cacheInvalidationOp("invalidate-pasid-cache", undefined, policy),
  { op: "drain-prq" },
  { op: "detach", to: policy.releaseDomain, freeTag: freeTagOf(policy) },
  cacheInvalidationOp("invalidate-context-cache", undefined, policy),
  { op: "attach" },
]

/** A release in flight: from the VM that had the function to its next owner. */
export interface ReleaseProcedure {
  readonly _tag: "Release"
  readonly pid: string
  readonly rid: Rid
  readonly from: VmId
  readonly to: FunctionOwner
  readonly pc: number
  /** The domain tag the function's entries carried when the release started (its VM's domain). */
  readonly oldDid: Did | undefined
}

/** The pid of the release of `rid`: `"release:01:00.1"`. */
export const releasePid = (rid: Rid): string => `release:${rid}`

/** Whether a release of `rid` is in flight (the guest no longer sees the device). */
export const releaseInFlight = (state: State, rid: Rid): boolean =>
  procedureByPid(state.host, releasePid(rid)) !== undefined

/** Starts a release of `rid` (a VF assigned to a VM) to `to`, running its first operation. */
const startRelease = (ctx: StepContext, state: State, rid: Rid, to: FunctionOwner): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined || fn.kind !== "vf" || fn.owner === "host")
    return unchanged(state, rejected(`${rid} is not a VF assigned to a VM`))
  if (fn.owner === to) return unchanged(state, rejected(`${rid} is already ${to}'s`))
  if (to !== "host" && domainOfVm(state.iommu, to) === undefined) return unchanged(state, rejected(`unknown VM ${to}`))
  const pid = releasePid(rid)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  if (procedureByPid(state.host, resetPid(rid)) !== undefined)
    return unchanged(state, waiting(`vfio is resetting ${rid}: its close waits for the device set lock`))
  const p: ReleaseProcedure = {
    _tag: "Release",
    pid,
    rid,
    from: fn.owner,
    to,
    pc: 0,
    oldDid: contextDid(state.iommu.context, rid),
  }
  const unplugged = detachAll(state, rid)
  const started = advanceRelease(ctx, { ...unplugged, host: putProcedure(unplugged.host, p) }, p)
  return { ...started, events: [{ _tag: "ReleaseStarted", rid, from: fn.owner, to }, ...started.events] }
}

/** `HostReleaseFunction { rid }`: vfio releases the VF to the host. */
export const releaseFunction = (ctx: StepContext, state: State, rid: Rid): StepResult =>
  startRelease(ctx, state, rid, "host")

/** `HostReassignFunction { rid, vm }`: the VF leaves its VM for `vm`. */
export const reassignFunction = (ctx: StepContext, state: State, rid: Rid, vm: VmId): StepResult =>
  startRelease(ctx, state, rid, vm)

/** The IRTEs validated against `rid` cleared with their IEC entries, and any programming of its entries abandoned. */
const freeIrtes = (state: State, rid: Rid): { readonly state: State; readonly handles: ReadonlyArray<number> } => {
  let ir = state.iommu.interrupts
  const handles: Array<number> = []
  ir.irt.forEach((e, handle) => {
    if (e !== null && e.sid === rid) handles.push(handle)
  })
  for (const handle of handles) ir = invalidateIec(writeIrte(ir, handle, null), handle)
  return {
    state: {
      ...state,
      iommu: { ...state.iommu, interrupts: ir },
      host: {
        ...state.host,
        procedures: state.host.procedures.filter((p) => !(p._tag === "ProgramIrte" && p.iface === rid)),
      },
    },
    handles,
  }
}

/** Runs the operation at `pc` of a release; the last one ends it. */
export const advanceRelease = (ctx: StepContext, state: State, p: ReleaseProcedure): StepResult => {
  const program = ctx.programs.release
  const next = program[p.pc]
  const done = (s: State, events: ReadonlyArray<Event>): StepResult => ({
    state: {
      ...s,
      host: p.pc + 1 < program.length ? putProcedure(s.host, { ...p, pc: p.pc + 1 }) : removeProcedure(s.host, p.pid),
    },
    outcome: ok,
    events,
  })
  const index = functionIndex(state.functions, p.rid)
  const fn = state.functions[index]
  if (next === undefined || fn === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  const present = fn.link !== "removed"
  switch (next.op) {
    case "clear-bme": {
      if (!present || !fn.bme) return done(state, [])
      const w = writeFunctionConfig(ctx, state, p.rid, (f) => ({ ...f, bme: false }))
      return done(w.state, [{ _tag: "BmeWritten", rid: p.rid, enable: false }, ...w.events])
    }
    case "free-irtes": {
      const freed = freeIrtes(state, p.rid)
      const w = writeFunctionConfig(ctx, freed.state, p.rid, (f) =>
        f.msix.every((m) => m === null) ? f : { ...f, msix: f.msix.map(() => null) },
      )
      return done(w.state, [{ _tag: "IrtesFreed", rid: p.rid, handles: freed.handles }, ...w.events])
    }
    case "wait-idle":
      return fn.posted.length > 0
        ? unchanged(state, waiting(`${p.rid} still has ${fn.posted.length} posted write(s) in flight`))
        : done(state, [{ _tag: "FunctionIdle", rid: p.rid }])
    case "reset": {
      const r = functionLevelReset(state, p.rid)
      return done(r.state, r.events)
    }
    case "invalidate-atc": {
      const targets = [undefined, ...state.pasids].map((pasid) => ({ rid: p.rid, pasid }))
      const sent = sendAtsInvalidations(ctx, state, targets, p.pid)
      return done(sent.state, sent.events)
    }
    case "wait-atc": {
      const r = awaitAtsCompletions(state, p.pid, next.onTimeout)
      return "waiting" in r ? unchanged(state, waiting(r.waiting)) : done(r.state, r.events)
    }
    case "unbind-pasids": {
      const pasids = state.iommu.pasids.filter((e) => e.rid === p.rid).map((e) => e.pasid)
      return done(
        {
          ...state,
          iommu: { ...state.iommu, pasids: state.iommu.pasids.filter((e) => e.rid !== p.rid) },
          host: {
            ...state.host,
            procedures: state.host.procedures.filter(
              (q) => !((q._tag === "PasidTeardown" || q._tag === "PasidEntryUpdate") && q.rid === p.rid),
            ),
          },
        },
        pasids.map((pasid) => ({ _tag: "PasidEntryCleared" as const, rid: p.rid, pasid })),
      )
    }
    case "invalidate-pasid-cache":
    case "invalidate-context-cache": {
      const tag = cacheTag(next.tag, p.oldDid, contextDid(state.iommu.context, p.rid))
      const r =
        next.op === "invalidate-context-cache"
          ? invalidateContextCache(state.iommu.cache, p.rid, tag)
          : invalidatePasidCache(state.iommu.cache, p.rid, "all", tag)
      return done({ ...state, iommu: { ...state.iommu, cache: r.cache } }, [
        cacheInvalidatedEvent(ctx, next.op, p.rid, undefined, tag, r.dropped),
      ])
    }
    case "drain-prq": {
      const prq = state.iommu.prq.filter((r) => r.rid !== p.rid)
      const guests = state.guests.map((g) =>
        g.faults.some((f) => f.rid === p.rid) ? { ...g, faults: g.faults.filter((f) => f.rid !== p.rid) } : g,
      )
      const delivered = state.guests.reduce((n, g) => n + g.faults.filter((f) => f.rid === p.rid).length, 0)
      return done(
        {
          ...state,
          guests,
          functions: updateFunction(state.functions, index, (f) => ({ ...f, groups: [] })),
          iommu: { ...state.iommu, prq },
        },
        [
          {
            _tag: "FunctionPageRequestsDrained",
            rid: p.rid,
            queued: state.iommu.prq.length - prq.length,
            delivered,
            answered: fn.groups.length,
          },
        ],
      )
    }
    case "detach": {
      const [detached, events] = detach(ctx, state, p, next.to)
      const freed = releaseDomainTag(
        detached.iommu,
        p.from,
        next.freeTag === "after-flush",
        ctx.vendor.iotlbInvalidation,
      )
      return done({ ...detached, iommu: freed.iommu }, [...events, ...freed.events])
    }
    case "attach": {
      if (p.to === "host") return done(state, [])
      const a = attachFunction(ctx, state, p.rid, p.to)
      const bme = present ? updateFunction(a.state.functions, index, (f) => ({ ...f, bme: true })) : a.state.functions
      return done({ ...a.state, functions: bme }, a.events)
    }
  }
}

/** The `detach` operation: the function leaves its VM for the host (see the module doc). */
const detach = (
  ctx: StepContext,
  state: State,
  p: ReleaseProcedure,
  to: "blocking" | "host-identity",
): [State, ReadonlyArray<Event>] => {
  const from = p.from
  const rid = p.rid
  let s = state
  let staleVrid: Rid | undefined
  if (s.nesting !== undefined) {
    const old = vridOf(s.nesting, from, rid)
    if (ctx.policy.vRidOnReassign === "keep") staleVrid = old
    else
      s = {
        ...s,
        nesting: putVrids(
          s.nesting,
          from,
          (viommuOf(s.nesting, from)?.vrids ?? []).filter((e) => e.rid !== rid),
        ),
      }
  }
  const guests = s.guests.map((g) => {
    if (g.vm !== from) return g
    const dma = g.dma.find((d) => d.rid === rid)
    const viaViommu = new Set((dma?.handles ?? []).filter((h) => h.mode === 1).map((h) => h.iova))
    return {
      ...g,
      capWrites: g.capWrites.filter((w) => w.rid !== rid),
      dma: g.dma.filter((d) => d.rid !== rid),
      viommu: g.viommu.filter((m) => !viaViommu.has(m.iova)),
    }
  })
  const index = functionIndex(s.functions, rid)
  const tdiState = s.functions[index]?.tdi?.state
  const context = s.iommu.context.filter((e) => e.rid !== rid)
  return [
    {
      ...s,
      guests,
      functions: updateFunction(s.functions, index, (f) => ({
        ...f,
        owner: "host",
        tdi: f.tdi === undefined ? undefined : { state: "CONFIG_UNLOCKED", locked: undefined, trust: 0 },
      })),
      iommu: {
        ...s.iommu,
        context:
          to === "blocking"
            ? context
            : [...context, { rid, kind: "pass-through" as const }].sort((a, b) =>
                a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : 0,
              ),
      },
      host: { ...s.host, vcaps: s.host.vcaps.filter((v) => v.rid !== rid) },
    },
    [
      ...(tdiState !== undefined && tdiState !== "CONFIG_UNLOCKED"
        ? [
            {
              _tag: "TdiStateChanged" as const,
              rid,
              from: tdiState,
              to: "CONFIG_UNLOCKED" as const,
              by: "STOP_INTERFACE",
            },
          ]
        : []),
      { _tag: "FunctionDetached", rid, from, to, staleVrid },
    ],
  ]
}
