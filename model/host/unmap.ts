/**
 * The unmap procedure (`VFIO_IOMMU_UNMAP_DMA` of one page), as a process with a program counter.
 *
 * Steps, each atomic, with device actions possible between any two:
 * 1. `clear-pte`: clear the PTE (run by `HostUnmapIova` itself);
 * 2. `invalidate-iotlb`: page-selective IOTLB invalidation of (DID, IOVA) and its wait descriptor.
 *    Both are executed by the IOMMU alone, with no device-visible point between them, so they are
 *    one step (VT-d 4.x §6.5.2.4 and §6.5.2.8 Invalidation Wait);
 * 3. `invalidate-atc`: an ATS Invalidate Request to every ATS-enabled requester the domain
 *    translates for, each with its PASID (`iommu/scope.ts`: context entries without PASID, PASID
 *    entries with theirs; VT-d §6.5.2.5 Device-TLB invalidate, PCIe Base 6.0 §10.3);
 * 4. `wait-atc`: wait until every such function has sent its Invalidation Completion;
 * 5. `free-page`: unpin the page and, when nothing else pins it (no other PTE maps it and no other
 *    unmap in flight holds it), free it. VFIO pins a page once per mapping (Linux
 *    `vfio_iommu_type1`: `vfio_pin_pages_remote` on map, `vfio_unpin_pages_remote` after
 *    `iommu_unmap` and the IOTLB sync), so a page mapped at two IOVAs stays the VM's until both
 *    unmaps are done.
 *
 * Policy `invalidationOrder` swaps 2 with 3–4; policy `atcInvalidation: "skip"` leaves out 3–4.
 *
 * Under nesting the domain is a nesting parent: the combined IOTLB entries built on it may hold the
 * unmapped GPA under any stage-1 IOVA, so step 2 also flushes every hardware tag of the VM's nested
 * attachments whole, and step 3 sends an all-addresses ATS Invalidate Request for each nested
 * (pRID, PASID) (Linux `intel/cache.c` flushes a nested domain's whole DID and its Device-TLBs
 * when its parent changes; `arm-smmu-v3` issues CMD_TLBI_NH_ALL for a nesting parent).
 *
 * @module
 */
import { defect } from "../defect.ts"
import { formatIova, type HpaPage, type Iova, type VmId } from "../ids.ts"
import type { Did } from "../iommu/context.ts"
import { clearPte, walk } from "../iommu/domain.ts"
import { domainOfVm, putDomain } from "../iommu/iommu.ts"
import { iotlbInvalidate } from "../iommu/iotlb.ts"
import { domainUsers } from "../iommu/scope.ts"
import { setPageOwner } from "../memory/pages.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import type { PolicyValues } from "../policy.ts"
import { distinctTags, type Nesting, nestedIotlbInvalidate, tagOf } from "../nesting/nesting.ts"
import { awaitedCompletions, sendAtsInvalidations } from "./ats-invalidation.ts"
import type { Event } from "../event.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** A step of the unmap procedure after `clear-pte`. */
export type UnmapStep = "invalidate-iotlb" | "invalidate-atc" | "wait-atc" | "free-page"

/** An unmap procedure in flight: `program[pc]` is the next step to run. */
export interface UnmapProcedure {
  readonly _tag: "Unmap"
  readonly pid: string
  readonly vm: VmId
  readonly did: Did
  readonly iova: Iova
  /** The page the cleared PTE pointed at, freed by the last step. */
  readonly page: HpaPage
  readonly program: ReadonlyArray<UnmapStep>
  readonly pc: number
}

/** The pid of the unmap of (`vm`, `iova`): `"unmap:vm1:0x2000"`. */
export const unmapPid = (vm: VmId, iova: Iova): string => `unmap:${vm}:${formatIova(iova)}`

/** The steps after `clear-pte`, as the policy orders them. */
export const unmapProgram = (policy: PolicyValues): ReadonlyArray<UnmapStep> => {
  const atc: ReadonlyArray<UnmapStep> = policy.atcInvalidation === "on" ? ["invalidate-atc", "wait-atc"] : []
  return policy.invalidationOrder === "iotlb-then-atc"
    ? ["invalidate-iotlb", ...atc, "free-page"]
    : [...atc, "invalidate-iotlb", "free-page"]
}

/**
 * `HostUnmapIova { vm, iova }`: starts the procedure and runs `clear-pte`. Rejected when the VM has
 * no domain, the IOVA is not mapped, or an unmap of it is already in flight.
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
    program: unmapProgram(ctx.policy),
    pc: 0,
  }
  return {
    state: {
      ...state,
      iommu: putDomain(state.iommu, clearPte(domain, iova)),
      host: putProcedure(state.host, procedure),
    },
    outcome: ok,
    events: [{ _tag: "PteCleared", did: domain.did, iova, page }],
  }
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

/** Whether some PTE or some unmap in flight still holds `page`. */
const pinned = (state: State, page: HpaPage): boolean =>
  state.iommu.domains.some((d) => d.ptes.some((pte) => pte.page === page)) ||
  state.host.procedures.some((q) => q._tag === "Unmap" && q.page === page)

/** Runs `program[pc]` of an unmap procedure (see the module doc for each step). */
export const advanceUnmap = (ctx: StepContext, state: State, p: UnmapProcedure): StepResult => {
  const next = p.program[p.pc]
  const advanced = (s: State, events: StepResult["events"]): StepResult => ({
    state: { ...s, host: putProcedure(s.host, { ...p, pc: p.pc + 1 }) },
    outcome: ok,
    events,
  })
  switch (next) {
    case "invalidate-iotlb": {
      const { iotlb, dropped } = iotlbInvalidate(state.iommu.iotlb, p.did, p.iova)
      const nested = state.nesting === undefined ? undefined : flushNestedTags(ctx, state.nesting, p.vm)
      return advanced(
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
            iova: p.iova,
            dropped: dropped.length,
          },
          ...(nested?.events ?? []),
        ],
      )
    }
    case "invalidate-atc": {
      const flat = domainUsers(state.iommu, p.did).map((u) => ({ rid: u.rid, pasid: u.pasid, iova: p.iova }))
      const nested = (state.nesting?.attachments ?? [])
        .filter((a) => a.vm === p.vm)
        .map((a) => ({ rid: a.rid, pasid: a.pasid === 0 ? undefined : a.pasid }))
      const sent = sendAtsInvalidations(ctx, state, [...flat, ...nested], p.pid)
      return advanced(sent.state, sent.events)
    }
    case "wait-atc": {
      const pending = awaitedCompletions(state, p.pid)
      return pending.length > 0
        ? unchanged(state, waiting(`Invalidation Completion from ${pending.join(", ")}`))
        : advanced(state, [{ _tag: "AtsInvalidationWaitDone", pid: p.pid }])
    }
    case "free-page": {
      const host = removeProcedure(state.host, p.pid)
      const stillPinned = pinned({ ...state, host }, p.page)
      return {
        state: { ...state, memory: stillPinned ? state.memory : setPageOwner(state.memory, p.page, "free"), host },
        outcome: ok,
        events: [
          { _tag: "UnmapCompleted", vm: p.vm, did: p.did, iova: p.iova, page: p.page },
          ...(stillPinned ? [] : [{ _tag: "PageFreed" as const, page: p.page, from: p.vm }]),
        ],
      }
    }
    default: {
      const none: undefined = next
      return defect(`${p.pid} has no step at pc ${p.pc} (${none})`)
    }
  }
}
