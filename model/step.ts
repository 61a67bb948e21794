/**
 * `step`: the one transition function of the model (DESIGN.md §2). Given a state and a command it
 * returns `{ state, outcome, events }` as an Effect that requires the `Vendor` and `Policy`
 * services. No I/O, no clock, no randomness. A command whose precondition does not hold yields a
 * `Rejected`/`Faulted`/`Waiting` outcome with the state unchanged; a defect of the model (an
 * impossible state, a broken well-formedness invariant) is `Effect.die` with a `ModelDefect`.
 *
 * @module
 */
import { Effect } from "effect"
import type { Command, CommandTag } from "./command.ts"
import { defect } from "./defect.ts"
import { guestWriteBme } from "./guest/config-space.ts"
import { convertPage, dmaMap, dmaUnmap, trustFlip } from "./guest/dma-api.ts"
import { guestWriteInterruptEntry } from "./guest/interrupt-entries.ts"
import { advanceFlushQueue, startFlushQueue } from "./host/flush-queue.ts"
import { procedureByPid } from "./host/host.ts"
import { advanceIrteProgramming, startIrteProgramming } from "./host/irte-programming.ts"
import { guestPageResponse, routePageRequest } from "./host/page-requests.ts"
import { bindPasid } from "./host/pasid-binding.ts"
import { advancePasidEntryUpdate } from "./host/pasid-entry-update.ts"
import { advanceTeardown, startTeardown } from "./host/pasid-teardown.ts"
import { hostWritePfCap } from "./host/pf-driver.ts"
import { advanceRelease, reassignFunction, releaseFunction, releaseInFlight } from "./host/release.ts"
import { advanceReset, startReset } from "./host/reset.ts"
import { advanceUnmap, startUnmap } from "./host/unmap.ts"
import { guestReadVfCap, guestWriteVfCap } from "./host/vfio-pasid-cap.ts"
import { allocatePage, assignFunction, assignSubdevice, mapIova } from "./host/vfio.ts"
import {
  advanceGuestInvalidation,
  guestInvalidateAtc,
  guestInvalidateIotlb,
  guestStage1Unmap,
} from "./nesting/guest-invalidation.ts"
import { pridOf } from "./nesting/nesting.ts"
import { guestAttachStage1, guestDetachStage1, guestStage1Map } from "./nesting/stage1.ts"
import { rejected } from "./outcome.ts"
import {
  completeAtsInvalidation,
  forgeTranslated,
  translatedDma,
  translationRequest,
  untranslatedDma,
} from "./pcie/device.ts"
import { peerRequest } from "./pcie/peer-to-peer.ts"
import { hang, surpriseRemoval } from "./pcie/link.ts"
import { postWrite, writeArrives } from "./pcie/posted-writes.ts"
import { raiseInterrupt, writeMsiWindow } from "./pcie/interrupts.ts"
import { pageRequest, pasidRequest } from "./pcie/pasid-requests.ts"
import { dmaThroughHandle } from "./pcie/trusted-dma.ts"
import { Policy } from "./policy.ts"
import { ProgramsService } from "./programs.ts"
import { hostWriteTdiConfig, tsmRequest } from "./tdisp/tdi.ts"
import { type State, type StepContext, type StepResult, unchanged } from "./state.ts"
import { Vendor } from "./vendor.ts"
import { brokenInvariant } from "./well-formed.ts"

/**
 * One handler per command tag. The mapped type makes the table exhaustive: a new command does not
 * compile until it has a handler (the same guarantee as ts-pattern's `.exhaustive()`, without its
 * per-call allocation on the hottest path of every driver).
 */
type Handlers = {
  readonly [K in CommandTag]: (
    ctx: StepContext,
    state: State,
    command: Extract<Command, { readonly _tag: K }>,
  ) => StepResult
}

const handlers: Handlers = {
  HostAllocatePage: (_ctx, s, c) => allocatePage(s, c.page, c.vm),
  HostAssignFunction: (ctx, s, c) => assignFunction(ctx, s, c.rid, c.vm),
  HostMapIova: (_ctx, s, c) => mapIova(s, c.vm, c.iova, c.page, c.pages),
  HostUnmapIova: (ctx, s, c) => startUnmap(ctx, s, c.vm, c.iova),
  HostAdvance: (ctx, s, c) => {
    const p = procedureByPid(s.host, c.pid)
    if (p === undefined) return unchanged(s, rejected(`no procedure ${c.pid} in flight`))
    switch (p._tag) {
      case "Unmap":
        return advanceUnmap(ctx, s, p)
      case "ProgramIrte":
        return advanceIrteProgramming(ctx, s, p)
      case "PasidTeardown":
        return advanceTeardown(ctx, s, p)
      case "PasidEntryUpdate":
        return advancePasidEntryUpdate(ctx, s, p)
      case "GuestInvalidation":
        return advanceGuestInvalidation(ctx, s, p)
      case "Release":
        return advanceRelease(ctx, s, p)
      case "Reset":
        return advanceReset(ctx, s, p)
      case "FlushQueue":
        return advanceFlushQueue(ctx, s, p)
    }
  },
  HostAssignSubdevice: (ctx, s, c) => assignSubdevice(ctx, s, c.sub, c.vm),
  GuestRequestInterrupt: (ctx, s, c) => startIrteProgramming(ctx, s, c.vm, c.iface, c.entry, c.vector),
  GuestWriteInterruptEntry: (ctx, s, c) => guestWriteInterruptEntry(ctx, s, c.vm, c.iface, c.entry, c.message),
  GuestWriteBme: (ctx, s, c) => guestWriteBme(ctx, s, c.vm, c.iface, c.enable),
  DeviceTranslationRequest: (ctx, s, c) => translationRequest(ctx.policy, s, c.rid, c.iova, c.pasid),
  SubdeviceTranslationRequest: (ctx, s, c) => translationRequest(ctx.policy, s, c.sub, c.iova),
  SubdeviceTranslatedRead: (ctx, s, c) => translatedDma(ctx.policy, s, c.sub, c.iova, "read"),
  SubdeviceTranslatedWrite: (ctx, s, c) => translatedDma(ctx.policy, s, c.sub, c.iova, "write"),
  DeviceForgeTranslated: (_ctx, s, c) => forgeTranslated(s, c.rid, c.page, c.access),
  DevicePeerRequest: (_ctx, s, c) => peerRequest(s, c.rid, c.peer, c.access),
  DeviceDmaRead: (ctx, s, c) => untranslatedDma(ctx.policy, s, c.rid, c.iova, "read", c.pasid),
  DeviceDmaWrite: (ctx, s, c) => untranslatedDma(ctx.policy, s, c.rid, c.iova, "write", c.pasid),
  SubdeviceDmaRead: (ctx, s, c) => untranslatedDma(ctx.policy, s, c.sub, c.iova, "read"),
  SubdeviceDmaWrite: (ctx, s, c) => untranslatedDma(ctx.policy, s, c.sub, c.iova, "write"),
  DeviceRaiseInterrupt: (ctx, s, c) => raiseInterrupt(ctx, s, c.iface, c.entry),
  DeviceWriteMsiWindow: (ctx, s, c) => writeMsiWindow(ctx, s, c.iface, c.message),
  GuestWriteVfCap: (ctx, s, c) => guestWriteVfCap(ctx, s, c.vm, c.rid, c.field, c.value),
  GuestReadVfCap: (ctx, s, c) => guestReadVfCap(ctx, s, c.vm, c.rid),
  HostWritePfCap: (ctx, s, c) => hostWritePfCap(ctx, s, c.rid, c.field, c.value),
  HostBindPasid: (ctx, s, c) => bindPasid(ctx, s, c.rid, c.pasid, c.vm),
  HostUnbindPasid: (ctx, s, c) => startTeardown(ctx, s, c.rid, c.pasid),
  DevicePasidRequest: (_ctx, s, c) => pasidRequest(s, c.rid, c.pasid, c.iova, c.access, c.privileged),
  DevicePageRequest: (_ctx, s, c) => pageRequest(s, c.rid, c.pasid, c.iova, c.prgi),
  HostRoutePageRequest: (_ctx, s) => routePageRequest(s),
  GuestPageResponse: (_ctx, s, c) => guestPageResponse(s, c.vm, c.rid, c.pasid, c.prgi),
  GuestConvertPage: (_ctx, s, c) => convertPage(s, c.vm, c.page, c.to),
  GuestTsmRequest: (ctx, s, c) => tsmRequest(ctx, s, c.vm, c.rid, c.request),
  HostWriteTdiConfig: (ctx, s, c) => hostWriteTdiConfig(ctx, s, c.rid, c.field, c.value),
  GuestDmaMap: (ctx, s, c) => dmaMap(ctx, s, c.vm, c.rid, c.page),
  GuestDmaUnmap: (ctx, s, c) => dmaUnmap(ctx, s, c.vm, c.rid, c.handle),
  DeviceDmaHandle: (ctx, s, c) => dmaThroughHandle(ctx, s, c.rid, c.handle, c.access),
  GuestTrustFlip: (ctx, s, c) => trustFlip(ctx, s, c.vm, c.rid),
  DeviceTranslatedRead: (ctx, s, c) => translatedDma(ctx.policy, s, c.rid, c.iova, "read", c.pasid),
  DeviceTranslatedWrite: (ctx, s, c) => translatedDma(ctx.policy, s, c.rid, c.iova, "write", c.pasid),
  GuestStage1Map: (_ctx, s, c) => guestStage1Map(s, c.vm, c.table, c.iova, c.gpa),
  GuestStage1Unmap: (ctx, s, c) => guestStage1Unmap(ctx, s, c.vm, c.table, c.iova),
  GuestAttachStage1: (ctx, s, c) => guestAttachStage1(ctx, s, c.vm, c.vrid, c.pasid, c.table),
  GuestDetachStage1: (_ctx, s, c) => guestDetachStage1(s, c.vm, c.vrid, c.pasid),
  GuestInvalidateIotlb: (ctx, s, c) => guestInvalidateIotlb(ctx, s, c.vm, c.vtag, c.pasid, c.iova),
  GuestInvalidateAtc: (ctx, s, c) => guestInvalidateAtc(ctx, s, c.vm, c.vrid, c.pasid, c.iova),
  HostReassignFunction: (ctx, s, c) => reassignFunction(ctx, s, c.rid, c.vm),
  HostReleaseFunction: (ctx, s, c) => releaseFunction(ctx, s, c.rid),
  GuestResetFunction: (ctx, s, c) => startReset(ctx, s, c.vm, c.rid),
  DevicePostWrite: (_ctx, s, c) => postWrite(s, c.rid, c.iova, c.pasid),
  DeviceWriteArrives: (_ctx, s, c) => writeArrives(s, c.rid),
  DeviceHang: (_ctx, s, c) => hang(s, c.rid),
  DeviceSurpriseRemoval: (_ctx, s, c) => surpriseRemoval(s, c.rid),
  HostFlushQueue: (ctx, s) => startFlushQueue(ctx, s),
  DeviceCompleteAtsInvalidation: (_ctx, s, c) => completeAtsInvalidation(s, c.rid),
}

/**
 * The function a command names: its `rid`, an `iface` that is a function's RID, a sub-device's
 * parent, or, for a guest's command under nesting, the function its `vrid` stands for in the
 * guest's virtual IOMMU.
 */
const namedFunction = (state: State, command: Command) => {
  const rid =
    "rid" in command
      ? command.rid
      : "iface" in command
        ? command.iface
        : "sub" in command
          ? state.subdevices.find((d) => d.id === command.sub)?.parent
          : "vrid" in command && state.nesting !== undefined
            ? pridOf(state.nesting, command.vm, command.vrid)
            : undefined
  return rid === undefined ? undefined : state.functions.find((f) => f.rid === rid)
}

/**
 * Why the platform refuses `command` whatever its handler would do, or `undefined`:
 * - while vfio releases a function, nothing else touches it: the guest no longer sees it (the VMM
 *   unplugged it first) and the host's own actions on it (assigning it, binding its PASIDs, writing
 *   its configuration) wait for the device, which vfio holds (`vfio_device_set` lock,
 *   `pci_cfg_access_lock` around its reset);
 * - a removed function sends nothing (its posted writes already in the fabric still arrive);
 * - a hung one answers no ATS Invalidate Request.
 */
const refusal = (state: State, command: Command): string | undefined => {
  const fn = namedFunction(state, command)
  if (fn === undefined) return undefined
  if ((command._tag.startsWith("Guest") || command._tag.startsWith("Host")) && releaseInFlight(state, fn.rid))
    return `${fn.rid} is being released: vfio holds it until the release ends`
  if (
    (command._tag.startsWith("Device") || command._tag.startsWith("Subdevice")) &&
    command._tag !== "DeviceWriteArrives" &&
    fn.link === "removed"
  )
    return `${fn.rid} has been removed`
  if (command._tag === "DeviceCompleteAtsInvalidation" && fn.link === "hung")
    return `${fn.rid} is hung: it answers no ATS Invalidate Request`
  return undefined
}

/**
 * The pure transition under resolved services. Throws `ModelDefect` (only) for impossible states;
 * `step` turns that into a defect. Drivers that run many commands resolve the services once and
 * call `step` inside one Effect (see `drivers/run-trace.ts`). With `wellFormed` false the
 * well-formedness invariants (`well-formed.ts`) are left to the caller, which checks them with
 * `brokenInvariant` where it needs to (the explorer: once per distinct state reached); the
 * state and outcome are the same.
 */
export const transition = (ctx: StepContext, state: State, command: Command, wellFormed = true): StepResult => {
  const refused = refusal(state, command)
  if (refused !== undefined) return unchanged(state, rejected(refused))
  const handler = handlers[command._tag] as (ctx: StepContext, state: State, command: Command) => StepResult
  const result = handler(ctx, state, command)
  if (wellFormed && result.state !== state) {
    const broken = brokenInvariant(result.state, ctx.programs)
    if (broken !== undefined) defect(wellFormednessMessage(command, broken))
  }
  return result
}

/** The message of the defect a broken invariant is, after `command`. */
export const wellFormednessMessage = (command: Command, broken: string): string =>
  `well-formedness broken after ${command._tag}: ${broken}`

/** One step of the model, reading `Vendor`, `Policy` and `ProgramsService` from the environment. */
export const step: (
  state: State,
  command: Command,
) => Effect.Effect<StepResult, never, Vendor | Policy | ProgramsService> = Effect.fnUntraced(function* (
  state: State,
  command: Command,
) {
  const vendor = yield* Vendor
  const policy = yield* Policy
  const programs = yield* ProgramsService
  return transition({ vendor, policy, programs }, state, command)
})
