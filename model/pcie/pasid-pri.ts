/**
 * The PASID and PRI capabilities (PCIe Base 6.0 §7.8.8 PASID Extended Capability: PASID Enable,
 * Execute Permission Enable, Privileged Mode Enable; §10.5.2 Page Request Extended Capability:
 * Enable; Reset and the outstanding page request allocation are not modelled beyond Enable). They
 * are implemented only on the PF: "a VF uses the PASID/PRI settings of its PF" (§9.3.7.14–15,
 * seed thread 002). A VF's PASID-tagged, execute, privileged requests and page requests go out only
 * when its PF's bits allow them. ATS stays per VF.
 *
 * Also the device side of PRI: the page request groups a function has outstanding until it gets a
 * Page Group Response (§10.4.2).
 *
 * @module
 */
import type { FunctionOwner, Rid } from "../ids.ts"
import { rejected } from "../outcome.ts"
import { mastersBus } from "./function.ts"
import { type State, type StepResult, unchanged } from "../state.ts"

/** The control bits of the PASID and PRI capabilities, as one record. */
export interface PasidPriBits {
  readonly pasidEnable: boolean
  readonly exec: boolean
  readonly priv: boolean
  readonly priEnable: boolean
}

/** A control bit of {@link PasidPriBits}. */
export type CapField = keyof PasidPriBits

/** Every control bit, in register order. */
export const CAP_FIELDS: ReadonlyArray<CapField> = ["pasidEnable", "exec", "priv", "priEnable"]

/** All bits clear: the capability's reset value. */
export const CAPS_RESET: PasidPriBits = { pasidEnable: false, exec: false, priv: false, priEnable: false }

/** An outstanding page request group at the device; `sentUnder` is a history variable (see the PRQ). */
export interface OutstandingGroup {
  readonly pasid: number
  readonly prgi: number
  readonly sentUnder: FunctionOwner
}

/**
 * The PASID/PRI bits that govern `rid`'s requests: a PF's own, a VF's PF's; `undefined` when the
 * function (or its PF) implements no PASID capability.
 */
export const governingCaps = (state: State, rid: Rid): PasidPriBits | undefined => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined) return undefined
  if (fn.kind === "pf") return fn.caps
  return state.functions.find((f) => f.rid === fn.pf)?.caps
}

/** The kind of request a control bit governs, for events and messages. */
const kindOf: Readonly<Record<CapField, string>> = {
  pasidEnable: "PASID-tagged request",
  exec: "execute request",
  priv: "privileged request",
  priEnable: "page request",
}

/**
 * The one guard of every PASID-tagged request a function sends (DMA, ATS Translation Requests and
 * translated requests with a PASID, execute and privileged requests, page requests): the PF's
 * control bits `needs` must be set (PCIe Base 6.0 §7.8.8, §10.5.2; a VF follows its PF,
 * §9.3.7.14–15), else the function does not send it (a `RequestNotSent` event). A function whose
 * PF implements no modelled PASID/PRI capability sends PASID-tagged requests as its topology
 * allows (the host enabled a capability the scenario does not model) unless `requireCapability`
 * (page requests and the PASID/PRI family's own commands). A malicious function ignores every
 * control bit (issue "adversarial devices"): the bits ask the device, they do not gate its link.
 * Returns the step that refuses the request, or `undefined` when it goes out. It also refuses a
 * function that does not master the bus (`mastersBus`).
 */
export const pasidSendGuard = (
  state: State,
  rid: Rid,
  needs: ReadonlyArray<CapField>,
  requireCapability: boolean,
): StepResult | undefined => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (!mastersBus(fn)) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  if (fn.malicious === true) return undefined
  const caps = governingCaps(state, rid)
  if (caps === undefined)
    return requireCapability ? unchanged(state, rejected(`${rid} does not support PASID/PRI`)) : undefined
  const missing = needs.find((field) => !caps[field])
  if (missing === undefined) return undefined
  return {
    state,
    outcome: rejected(`${kindOf[missing]} not sent: ${rid}'s PF has ${missing} clear`),
    events: [{ _tag: "RequestNotSent", rid, field: missing, reason: `PF ${missing} clear` }],
  }
}
