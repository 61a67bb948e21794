/**
 * Interrupts on the link (seed thread 000; VT-d 4.x §5.1): a function or ADI raises the message in
 * one of its MSI-X/IMS entries, or, driven by its guest, DMA-writes an addr/data pair into the
 * 0xFEExxxxx window. The root complex decodes a DWORD write without PASID to the window as an
 * interrupt request and hands it to interrupt remapping (with the requester's RID as SID); a
 * PASID-tagged write is DMA, translated through the PASID's tables (where IOVA spaces carve the
 * window out), unless the platform decodes it as an interrupt (`pasidWriteToMsiWindow`). Both
 * need Bus Master Enable.
 *
 * @module
 */
import type { Event } from "../event.ts"
import { decodeInterrupt } from "../iommu/interrupt-remapping.ts"
import { translateRequest } from "../iommu/translate-request.ts"
import { formatMessage, MSI_WINDOW, type Message } from "../interrupt/message.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { pasidSendGuard } from "./pasid-pri.ts"
import { type Requester, requesterOf } from "./requester.ts"

/** Decodes an interrupt request and reports where it went. */
const interruptRequest = (
  ctx: StepContext,
  state: State,
  r: Requester,
  message: Message,
  pasid: number | undefined,
): StepResult => {
  const { ir, decoded } = decodeInterrupt(
    state.iommu.interrupts,
    ctx.policy.interruptRemapping === "on",
    message,
    r.sid,
    pasid,
  )
  const next = ir === state.iommu.interrupts ? state : { ...state, iommu: { ...state.iommu, interrupts: ir } }
  const event: Event =
    decoded._tag === "Delivered"
      ? {
          _tag: "InterruptDelivered",
          source: r.iface,
          rid: r.rid,
          pasid,
          dest: decoded.dest,
          vector: decoded.vector,
          via: decoded.via,
        }
      : { _tag: "InterruptBlocked", source: r.iface, rid: r.rid, reason: decoded.reason }
  return { state: next, outcome: decoded._tag === "Delivered" ? ok : faulted(decoded.reason), events: [event] }
}

/**
 * `DeviceRaiseInterrupt { iface, entry }`: sends the message of an MSI-X/IMS entry, carrying the
 * ADI's PASID under `interruptPasid: "tagged"`. Rejected when the entry is not programmed or bus
 * mastering is off.
 */
export const raiseInterrupt = (ctx: StepContext, state: State, iface: string, entry: number): StepResult => {
  const r = requesterOf(state, ctx.policy, iface)
  if (r === undefined) return unchanged(state, rejected(`unknown interface ${iface}`))
  const message = r.entries[entry]
  if (message === undefined || message === null)
    return unchanged(state, rejected(`${iface} interrupt entry ${entry} is not programmed`))
  if (!r.bme) return unchanged(state, rejected(`${r.rid} has Bus Master Enable clear`))
  return interruptRequest(ctx, state, r, message, ctx.policy.interruptPasid === "tagged" ? r.pasid : undefined)
}

/**
 * `DeviceWriteMsiWindow { iface, message }`: a DWORD DMA write of `message`'s addr/data into the
 * interrupt window. Without PASID it is an interrupt request; with PASID it is DMA to IOVA
 * 0xFEE00000 unless the platform decodes it as an interrupt.
 */
export const writeMsiWindow = (ctx: StepContext, state: State, iface: string, message: Message): StepResult => {
  const r = requesterOf(state, ctx.policy, iface)
  if (r === undefined) return unchanged(state, rejected(`unknown interface ${iface}`))
  if (!r.bme) return unchanged(state, rejected(`${r.rid} has Bus Master Enable clear`))
  if (r.pasid === undefined || ctx.policy.pasidWriteToMsiWindow === "interrupt")
    return interruptRequest(ctx, state, r, message, r.pasid)
  const initiator = r.kind === "adi" || r.kind === "mdev" ? { initiator: iface } : {}
  const refused = pasidSendGuard(state, r.rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const { state: translated, translation, fills } = translateRequest(state, r.rid, MSI_WINDOW, r.pasid)
  if (translation._tag !== "Translated") {
    const reason =
      translation._tag === "Blocked"
        ? translation.reason
        : `0xfee00000 not present in PASID ${r.pasid}'s tables (${formatMessage(message)} not an interrupt)`
    return {
      state,
      outcome: faulted(reason),
      events: [{ _tag: "DmaFaulted", rid: r.rid, ...initiator, access: "write", iova: MSI_WINDOW, reason }],
    }
  }
  return {
    state: translated,
    outcome: ok,
    events: [
      ...fills,
      {
        _tag: "DmaCompleted",
        rid: r.rid,
        ...initiator,
        access: "write",
        iova: MSI_WINDOW,
        page: translation.page,
        path: translation.source,
      },
    ],
  }
}
