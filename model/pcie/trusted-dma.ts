/**
 * DMA by a TDI through a handle its driver programmed (seed thread 004; TDISP ECN §11.1: T=0 and
 * T=1 requests; Intel TDX Connect / AMD SEV-TIO trusted DMA). Two paths:
 * - T=0 (untrusted): the host-controlled IOMMU tables translate the handle's address, as for any
 *   untranslated request;
 * - T=1 (trusted): only from a TDI in RUN; translated by the trusted translation the TVM controls:
 *   its vIOMMU table in private memory, or without a vIOMMU the window rule "every IOVA is a
 *   private GPA" (Alexey Kardashevskiy's V1: "all IOVA below X are private … I set the X to all
 *   '1's"); either way the result must be one of the TVM's private pages, because trusted DMA
 *   is translated last through the TVM's private (secure) second stage, which maps private memory
 *   only (TDX Connect: the S-EPT; SEV-TIO: the RMP check), so a page converted to shared is no
 *   longer reachable at T=1.
 * Rejected when the driver has no such handle (a driver does not hand the device handles it
 * unmapped) or bus mastering is off.
 *
 * @module
 */
import { PAGE_SIZE, type Rid } from "../ids.ts"
import { translateRequest } from "../iommu/translate-request.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"

/** `DeviceDmaHandle { rid, handle, access }`. */
export const dmaThroughHandle = (
  ctx: StepContext,
  state: State,
  rid: Rid,
  id: number,
  access: "read" | "write",
): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn?.tdi === undefined || fn.owner === "host") return unchanged(state, rejected(`${rid} is not an assigned TDI`))
  const vm = fn.owner
  const guest = state.guests.find((g) => g.vm === vm)
  const handle = guest?.dma.find((d) => d.rid === rid)?.handles.find((h) => h.id === id)
  if (guest === undefined || handle === undefined) return unchanged(state, rejected(`${rid} holds no DMA handle ${id}`))
  if (!fn.bme) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  const t = fn.tdi.trust
  const fault = (reason: string): StepResult => ({
    state,
    outcome: faulted(reason),
    events: [{ _tag: "DmaFaulted", rid, access, iova: handle.iova, reason }],
  })
  const done = (page: number, path: "walk" | "iotlb" | "pass-through" | "trusted", next: State): StepResult => ({
    state: next,
    outcome: ok,
    events: [{ _tag: "DmaCompleted", rid, access, iova: handle.iova, page, path, t, handle: id }],
  })
  if (t === 0) {
    const { state: translated, translation } = translateRequest(state, rid, handle.iova, undefined)
    if (translation._tag !== "Translated")
      return fault(translation._tag === "Blocked" ? translation.reason : "T=0: not present in host tables")
    return done(translation.page, translation.source, translated)
  }
  if (fn.tdi.state !== "RUN") return fault(`T=1 request from a TDI in ${fn.tdi.state}`)
  if (ctx.policy.trustedTranslation === "window-all-private") {
    const page = handle.iova / PAGE_SIZE
    if (state.memory[page] !== vm || state.privatePages[page] !== true)
      return fault(`T=1: GPA page ${page} is not ${vm}'s private memory`)
    return done(page, "trusted", state)
  }
  const mapping = guest.viommu.find((m) => m.iova === handle.iova)
  if (mapping === undefined) return fault(`T=1: IOVA 0x${handle.iova.toString(16)} not mapped in ${vm}'s vIOMMU`)
  if (state.memory[mapping.page] !== vm || state.privatePages[mapping.page] !== true)
    return fault(`T=1: page ${mapping.page} is not ${vm}'s private memory any more`)
  return done(mapping.page, "trusted", state)
}
