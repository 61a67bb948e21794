/**
 * A function leaving its owner (DESIGN.md §9, "shared mechanisms"; issue "device lifecycle"): vfio
 * releasing a device from a VM, back to the host (`HostReleaseFunction`: vfio device close, or its
 * remove path after a surprise removal) or on to another VM (`HostReassignFunction`), as one
 * program that releases everything the owner had through the function. Device traffic (posted
 * writes arriving, a hung device) interleaves between any two operations; the guest no longer sees
 * the device (the VMM unplugged it before vfio closes it), so its commands naming it are refused.
 * vfio serializes a device's reset and its release (both under the device set lock, and a file is
 * not closed while an ioctl on it runs): a release waits while a reset of the function is in flight.
 * The scenario's `procedures.release` gives the program, which runs each operation on every function
 * the release gives back together: the one named and, under `iommuGroups: "group-aware"`, the
 * other members of its IOMMU group the VM holds (a group leaves its VM whole). When the release starts, the VMM has
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
 * - `free-irtes`: disable MSI-X and free the IRQs: every IRTE whose SID is the RID the function's
 *   requests carry is cleared and its IEC entry invalidated (`intel_irq_remapping_free`); an IRTE
 *   programming of its entries in flight is abandoned. (With a DMA alias this also frees the IRTEs
 *   of the functions sharing it: Linux frees the device's IRQs only; the model's over-approximation
 *   can only block interrupts, never deliver one.)
 * - `wait-idle`: wait until no posted write of the function is in the fabric (the flush a read of
 *   the function gives, PCIe Base 6.0 §2.4.1; `pcie_flr` waits for Transactions Pending first).
 * - `reset`: Function Level Reset (PCIe Base 6.0 §6.6.2): the device's ATC is emptied, the ATS
 *   Invalidate Requests it had not answered are discarded, its outstanding page request groups are
 *   forgotten, its MSI-X table is masked; a TDI in CONFIG_LOCKED or RUN goes to ERROR (TDISP ECN
 *   §11.2.6). Configuration is restored as vfio saved it; Bus Master Enable stays as it was. A
 *   function with no reset method (topology `flr: false`) is not reset (`vfio_pci_core_disable`
 *   resets only when `reset_works`): its ATC and the rest stay, for the program's
 *   `invalidate-atc` to deal with.
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
import { functionIndex, functionRids, linkRid, type PcieFunction, updateFunction } from "../pcie/function.ts"
import { iommuGroup } from "../pcie/iommu-group.ts"
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
import { assignRefusal, attachFunction } from "./vfio.ts"

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

/**
 * A release in flight: from the VM that had the function to its next owner. `members` are the
 * functions it releases together, in RID order: the function, and under `iommuGroups:
 * "group-aware"` every other member of its IOMMU group the VM holds (vfio and iommufd attach a
 * group to one domain and give it back whole: the group's DMA ownership stays with the user until
 * its last device goes, `iommu_device_release_dma_owner`).
 */
export interface ReleaseProcedure {
  readonly _tag: "Release"
  readonly pid: string
  readonly rid: Rid
  readonly members: ReadonlyArray<Rid>
  readonly from: VmId
  readonly to: FunctionOwner
  readonly pc: number
  /**
   * The domain tag each RID of the members (own and DMA alias) carried in its context entry, read
   * when the release started and again just before `detach` clears the entries (Linux reads each
   * entry's DID before clearing it, `domain_context_clear_one`), in RID order: its VM's domain; an
   * alias's may be another VM's.
   */
  readonly oldDids: ReadonlyArray<{ readonly rid: Rid; readonly did: Did | undefined }>
}

/** The pid of the release of `rid`: `"release:01:00.1"`. */
export const releasePid = (rid: Rid): string => `release:${rid}`

/** The release in flight that releases `rid` (named by it, or a member of its group), if any. */
export const releaseOf = (state: State, rid: Rid): ReleaseProcedure | undefined =>
  state.host.procedures.find((p): p is ReleaseProcedure => p._tag === "Release" && p.members.includes(rid))

/** Whether a release of `rid` is in flight (the guest no longer sees the device). */
export const releaseInFlight = (state: State, rid: Rid): boolean => releaseOf(state, rid) !== undefined

/** The functions a release of `fn` releases together (see {@link ReleaseProcedure}). */
const membersOf = (ctx: StepContext, state: State, fn: PcieFunction): ReadonlyArray<Rid> =>
  ctx.policy.iommuGroups === "group-aware"
    ? iommuGroup(state, fn.rid)
        .filter((f) => f.owner === fn.owner)
        .map((f) => f.rid)
    : [fn.rid]

/** Starts a release of `rid` (a function assigned to a VM, with its group's members) to `to`, running its first operation. */
const startRelease = (ctx: StepContext, state: State, rid: Rid, to: FunctionOwner): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined || fn.owner === "host") return unchanged(state, rejected(`${rid} is not assigned to a VM`))
  if (fn.owner === to) return unchanged(state, rejected(`${rid} is already ${to}'s`))
  if (to !== "host" && domainOfVm(state.iommu, to) === undefined) return unchanged(state, rejected(`unknown VM ${to}`))
  const members = membersOf(ctx, state, fn)
  const refused = to === "host" ? undefined : assignRefusal(ctx, state, rid, to, members)
  if (refused !== undefined) return unchanged(state, rejected(refused))
  const pid = releasePid(rid)
  for (const m of members) {
    if (releaseInFlight(state, m)) return unchanged(state, rejected(`a release of ${m} is already in flight`))
    if (procedureByPid(state.host, resetPid(m)) !== undefined)
      return unchanged(state, waiting(`vfio is resetting ${m}: its close waits for the device set lock`))
  }
  const p: ReleaseProcedure = {
    _tag: "Release",
    pid,
    rid,
    members,
    from: fn.owner,
    to,
    pc: 0,
    oldDids: readOldDids(state, members),
  }
  const unplugged = members.reduce(detachAll, state)
  const started = advanceRelease(ctx, { ...unplugged, host: putProcedure(unplugged.host, p) }, p)
  return {
    ...started,
    events: [
      ...members.map((m) => ({ _tag: "ReleaseStarted" as const, rid: m, from: fn.owner, to })),
      ...started.events,
    ],
  }
}

/** `HostReleaseFunction { rid }`: vfio releases the function to the host. */
export const releaseFunction = (ctx: StepContext, state: State, rid: Rid): StepResult =>
  startRelease(ctx, state, rid, "host")

/**
 * `HostReassignFunction { rid, vm }`: the function leaves its VM for `vm`; refused at once when vfio
 * could not give it to `vm` once it is the host's (`assignRefusal`: its IOMMU group, its reserved
 * memory).
 */
export const reassignFunction = (ctx: StepContext, state: State, rid: Rid, vm: VmId): StepResult =>
  startRelease(ctx, state, rid, vm)

/** The IRTEs validated against `rid` cleared with their IEC entries, and any programming of its entries abandoned. */
const freeIrtes = (state: State, rid: Rid): { readonly state: State; readonly handles: ReadonlyArray<number> } => {
  let ir = state.iommu.interrupts
  const handles: Array<number> = []
  const fn = state.functions.find((f) => f.rid === rid)
  const sid = fn === undefined ? rid : linkRid(fn)
  ir.irt.forEach((e, handle) => {
    if (e !== null && e.sid === sid) handles.push(handle)
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

/** The domain tag of the context entry of each RID (own and alias) of `members`, in RID order. */
const readOldDids = (state: State, members: ReadonlyArray<Rid>): ReleaseProcedure["oldDids"] =>
  [...new Set(members.flatMap((m) => functionRids(fnOf(state, m))))]
    .sort()
    .map((r) => ({ rid: r, did: contextDid(state.iommu.context, r) }))

/** The function `rid` of `s` (the caller knows it exists). */
const fnOf = (s: State, rid: Rid): PcieFunction => s.functions[functionIndex(s.functions, rid)] as PcieFunction

/** Applies `f` to the state for each member of the release, in order, collecting the events. */
const eachMember = (
  state: State,
  p: ReleaseProcedure,
  f: (s: State, rid: Rid) => { readonly state: State; readonly events: ReadonlyArray<Event> },
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
  let s = state
  const events: Array<Event> = []
  for (const rid of p.members) {
    const r = f(s, rid)
    s = r.state
    events.push(...r.events)
  }
  return { state: s, events }
}

/** Runs the operation at `pc` of a release on each of its members; the last operation ends it. */
export const advanceRelease = (ctx: StepContext, state: State, p: ReleaseProcedure): StepResult => {
  const program = ctx.programs.release
  const next = program[p.pc]
  const done = (
    r: { readonly state: State; readonly events: ReadonlyArray<Event> },
    updated: ReleaseProcedure = p,
  ): StepResult => ({
    state: {
      ...r.state,
      host:
        p.pc + 1 < program.length
          ? putProcedure(r.state.host, { ...updated, pc: p.pc + 1 })
          : removeProcedure(r.state.host, p.pid),
    },
    outcome: ok,
    events: r.events,
  })
  if (next === undefined || p.members.some((m) => functionIndex(state.functions, m) < 0))
    return defect(`${p.pid} has no operation at pc ${p.pc}, or a member it releases is unknown`)
  switch (next.op) {
    case "clear-bme":
      return done(
        eachMember(state, p, (s, rid) => {
          const fn = fnOf(s, rid)
          if (fn.link === "removed" || !fn.bme) return { state: s, events: [] }
          const w = writeFunctionConfig(ctx, s, rid, (f) => ({ ...f, bme: false }))
          return { state: w.state, events: [{ _tag: "BmeWritten", rid, enable: false }, ...w.events] }
        }),
      )
    case "free-irtes":
      return done(
        eachMember(state, p, (s, rid) => {
          const freed = freeIrtes(s, rid)
          const w = writeFunctionConfig(ctx, freed.state, rid, (f) =>
            f.msix.every((m) => m === null) ? f : { ...f, msix: f.msix.map(() => null) },
          )
          return { state: w.state, events: [{ _tag: "IrtesFreed", rid, handles: freed.handles }, ...w.events] }
        }),
      )
    case "wait-idle": {
      const busy = p.members.map((m) => fnOf(state, m)).find((f) => f.posted.length > 0)
      return busy !== undefined
        ? unchanged(state, waiting(`${busy.rid} still has ${busy.posted.length} posted write(s) in flight`))
        : done({ state, events: p.members.map((rid) => ({ _tag: "FunctionIdle" as const, rid })) })
    }
    case "reset":
      return done(eachMember(state, p, functionLevelReset))
    case "invalidate-atc": {
      const targets = p.members.flatMap((rid) => [undefined, ...state.pasids].map((pasid) => ({ rid, pasid })))
      return done(sendAtsInvalidations(ctx, state, targets, p.pid))
    }
    case "wait-atc": {
      const r = awaitAtsCompletions(state, p.pid, next.onTimeout)
      return "waiting" in r ? unchanged(state, waiting(r.waiting)) : done(r)
    }
    case "unbind-pasids":
      return done(
        eachMember(state, p, (s, rid) => {
          const pasids = s.iommu.pasids.filter((e) => e.rid === rid).map((e) => e.pasid)
          return {
            state: {
              ...s,
              iommu: { ...s.iommu, pasids: s.iommu.pasids.filter((e) => e.rid !== rid) },
              host: {
                ...s.host,
                procedures: s.host.procedures.filter(
                  (q) => !((q._tag === "PasidTeardown" || q._tag === "PasidEntryUpdate") && q.rid === rid),
                ),
              },
            },
            events: pasids.map((pasid) => ({ _tag: "PasidEntryCleared" as const, rid, pasid })),
          }
        }),
      )
    case "invalidate-pasid-cache":
    case "invalidate-context-cache": {
      const rids =
        next.op === "invalidate-pasid-cache" ? p.members : p.members.flatMap((m) => functionRids(fnOf(state, m)))
      let cache = state.iommu.cache
      const events: Array<Event> = []
      for (const rid of rids) {
        const old = p.oldDids.find((e) => e.rid === rid)?.did
        const tag = cacheTag(next.tag, old, contextDid(state.iommu.context, rid))
        const r =
          next.op === "invalidate-context-cache"
            ? invalidateContextCache(cache, rid, tag)
            : invalidatePasidCache(cache, rid, "all", tag)
        cache = r.cache
        events.push(cacheInvalidatedEvent(ctx, next.op, rid, undefined, tag, r.dropped))
      }
      return done({ state: { ...state, iommu: { ...state.iommu, cache } }, events })
    }
    case "drain-prq":
      return done(
        eachMember(state, p, (s, rid) => {
          const prq = s.iommu.prq.filter((r) => r.rid !== rid)
          const guests = s.guests.map((g) =>
            g.faults.some((f) => f.rid === rid) ? { ...g, faults: g.faults.filter((f) => f.rid !== rid) } : g,
          )
          const delivered = s.guests.reduce((n, g) => n + g.faults.filter((f) => f.rid === rid).length, 0)
          const index = functionIndex(s.functions, rid)
          return {
            state: {
              ...s,
              guests,
              functions: updateFunction(s.functions, index, (f) => ({ ...f, groups: [] })),
              iommu: { ...s.iommu, prq },
            },
            events: [
              {
                _tag: "FunctionPageRequestsDrained",
                rid,
                queued: s.iommu.prq.length - prq.length,
                delivered,
                answered: fnOf(s, rid).groups.length,
              },
            ],
          }
        }),
      )
    case "detach": {
      const oldDids = readOldDids(state, p.members)
      const detached = eachMember(state, p, (s, rid) => detach(ctx, s, p.from, rid, next.to))
      const freed = releaseDomainTag(
        detached.state.iommu,
        p.from,
        next.freeTag === "after-flush",
        ctx.vendor.iotlbDomainInvalidation,
      )
      return done(
        { state: { ...detached.state, iommu: freed.iommu }, events: [...detached.events, ...freed.events] },
        { ...p, oldDids },
      )
    }
    case "attach": {
      if (p.to === "host") return done({ state, events: [] })
      const a = attachFunction(ctx, state, p.rid, p.to)
      const functions = a.state.functions.map((f) =>
        p.members.includes(f.rid) && f.link !== "removed" ? { ...f, bme: true } : f,
      )
      return done({ state: { ...a.state, functions }, events: a.events })
    }
  }
}

/** The `detach` operation for one function: it leaves VM `from` for the host (see the module doc). */
const detach = (
  ctx: StepContext,
  state: State,
  from: VmId,
  rid: Rid,
  to: "blocking" | "host-identity",
): { readonly state: State; readonly events: ReadonlyArray<Event> } => {
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
  const fn = s.functions[index]
  const rids = fn === undefined ? [rid] : functionRids(fn)
  const context = s.iommu.context.filter((e) => !rids.includes(e.rid))
  return {
    state: {
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
            : [...context, ...rids.map((r) => ({ rid: r, kind: "pass-through" as const }))].sort((a, b) =>
                a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : 0,
              ),
      },
      host: { ...s.host, vcaps: s.host.vcaps.filter((v) => v.rid !== rid) },
    },
    events: [
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
  }
}
