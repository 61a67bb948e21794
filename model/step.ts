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
import { match } from "ts-pattern"
import type { Command } from "./command.ts"
import { defect } from "./defect.ts"
import { procedureByPid } from "./host/host.ts"
import { advanceUnmap, startUnmap } from "./host/unmap.ts"
import { allocatePage, assignFunction, mapIova } from "./host/vfio.ts"
import { rejected } from "./outcome.ts"
import { completeAtsInvalidation, translatedDma, translationRequest, untranslatedDma } from "./pcie/device.ts"
import { Policy } from "./policy.ts"
import { type State, type StepContext, type StepResult, unchanged } from "./state.ts"
import { Vendor } from "./vendor.ts"
import { brokenInvariant } from "./well-formed.ts"

/**
 * The pure transition under resolved services. Throws `ModelDefect` (only) for impossible states;
 * `step` turns that into a defect. Drivers that run many commands resolve the services once and
 * call this inside one Effect (see `drivers/run-trace.ts`).
 */
export const transition = (ctx: StepContext, state: State, command: Command): StepResult => {
  const result = match(command)
    .with({ _tag: "HostAllocatePage" }, (c) => allocatePage(state, c.page, c.vm))
    .with({ _tag: "HostAssignFunction" }, (c) => assignFunction(state, c.rid, c.vm))
    .with({ _tag: "HostMapIova" }, (c) => mapIova(state, c.vm, c.iova, c.page))
    .with({ _tag: "HostUnmapIova" }, (c) => startUnmap(ctx, state, c.vm, c.iova))
    .with({ _tag: "HostAdvance" }, (c) => {
      const p = procedureByPid(state.host, c.pid)
      return p === undefined
        ? unchanged(state, rejected(`no procedure ${c.pid} in flight`))
        : advanceUnmap(ctx, state, p)
    })
    .with({ _tag: "DeviceTranslationRequest" }, (c) => translationRequest(state, c.rid, c.iova))
    .with({ _tag: "DeviceDmaRead" }, (c) => untranslatedDma(state, c.rid, c.iova, "read"))
    .with({ _tag: "DeviceDmaWrite" }, (c) => untranslatedDma(state, c.rid, c.iova, "write"))
    .with({ _tag: "DeviceTranslatedRead" }, (c) => translatedDma(state, c.rid, c.iova, "read"))
    .with({ _tag: "DeviceTranslatedWrite" }, (c) => translatedDma(state, c.rid, c.iova, "write"))
    .with({ _tag: "DeviceCompleteAtsInvalidation" }, (c) => completeAtsInvalidation(state, c.rid))
    .exhaustive()
  if (result.state !== state) {
    const broken = brokenInvariant(result.state)
    if (broken !== undefined) defect(`well-formedness broken after ${command._tag}: ${broken}`)
  }
  return result
}

/** One step of the model, reading `Vendor` and `Policy` from the environment. */
export const step: (state: State, command: Command) => Effect.Effect<StepResult, never, Vendor | Policy> =
  Effect.fnUntraced(function* (state: State, command: Command) {
    const vendor = yield* Vendor
    const policy = yield* Policy
    return transition({ vendor, policy }, state, command)
  })
