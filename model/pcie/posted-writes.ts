/**
 * Posted memory writes in flight (issue "device lifecycle"): a function's DMA write is a posted
 * request (PCIe Base 6.0 §2.4: no completion), so once the function has sent it, it travels the
 * fabric on its own: the function cannot recall it, its Bus Master Enable being cleared or a reset
 * does not stop it, and the IOMMU translates it with the tables it finds when it arrives. Reads
 * are not modelled in flight: a reset function discards the completions of reads it sent before
 * (an Unexpected Completion, §2.3.2), so what a late read returns reaches no one.
 *
 * - `DevicePostWrite { rid, iova, pasid? }`: the function sends a memory write; it is in the fabric
 *   (`posted`, at most `POSTED_DEPTH`), recorded with the owner it was issued under.
 * - `DeviceWriteArrives { rid }`: the oldest posted write reaches the root complex and is
 *   translated and performed as an untranslated request of the RID (with its PASID), whoever owns
 *   the function now.
 * A host's flush of a function's posted writes is a read whose completion pushes them ahead of it
 * (§2.4.1: a Completion may not pass a Posted Request): the `wait-idle` operation of the release
 * and reset programs waits until none is in the fabric.
 *
 * @module
 */
import { formatIova, type Iova, type Rid } from "../ids.ts"
import { translateRequest } from "../iommu/translate-request.ts"
import { faulted, ok, rejected } from "../outcome.ts"
import { type State, type StepResult, unchanged } from "../state.ts"
import { functionIndex, mastersBus, POSTED_DEPTH, updateFunction } from "./function.ts"
import { pasidSendGuard } from "./pasid-pri.ts"

/** `DevicePostWrite { rid, iova, pasid? }`. Rejected when bus mastering is off or the fabric holds `POSTED_DEPTH` of its writes. */
export const postWrite = (state: State, rid: Rid, iova: Iova, pasid?: number): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  if (fn === undefined) return unchanged(state, rejected(`unknown RID ${rid}`))
  if (!mastersBus(fn)) return unchanged(state, rejected(`${rid} has Bus Master Enable clear`))
  if (fn.posted.length >= POSTED_DEPTH)
    return unchanged(state, rejected(`${rid} already has ${fn.posted.length} posted write(s) in flight`))
  const refused = pasid === undefined ? undefined : pasidSendGuard(state, rid, ["pasidEnable"], false)
  if (refused !== undefined) return refused
  const write = { iova, pasid, issuedUnder: fn.owner }
  return {
    state: {
      ...state,
      functions: updateFunction(state.functions, index, (f) => ({ ...f, posted: [...f.posted, write] })),
    },
    outcome: ok,
    events: [{ _tag: "WritePosted", rid, ...(pasid === undefined ? {} : { pasid }), iova, issuedUnder: fn.owner }],
  }
}

/** `DeviceWriteArrives { rid }`: the oldest posted write of `rid` is translated and performed. Rejected when none is in flight. */
export const writeArrives = (state: State, rid: Rid): StepResult => {
  const index = functionIndex(state.functions, rid)
  const fn = state.functions[index]
  const write = fn?.posted[0]
  if (fn === undefined || write === undefined) return unchanged(state, rejected(`${rid} has no posted write in flight`))
  const landed: State = {
    ...state,
    functions: updateFunction(state.functions, index, (f) => ({ ...f, posted: f.posted.slice(1) })),
  }
  const pasidField = write.pasid === undefined ? {} : { pasid: write.pasid }
  const { state: translated, translation, fills } = translateRequest(landed, rid, write.iova, write.pasid)
  if (translation._tag !== "Translated") {
    const reason = translation._tag === "Blocked" ? translation.reason : `${formatIova(write.iova)} not present`
    return {
      state: landed,
      outcome: faulted(reason),
      events: [
        {
          _tag: "DmaFaulted",
          rid,
          ...pasidField,
          access: "write",
          iova: write.iova,
          reason,
          issuedUnder: write.issuedUnder,
        },
      ],
    }
  }
  return {
    state: translated,
    outcome: ok,
    events: [
      ...fills,
      {
        _tag: "DmaCompleted",
        rid,
        ...pasidField,
        access: "write",
        iova: write.iova,
        page: translation.page,
        path: translation.source,
        issuedUnder: write.issuedUnder,
      },
    ],
  }
}
