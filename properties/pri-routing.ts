/**
 * `pri-routing`: a page request is delivered only to the owner of (RID, PASID) at the moment the
 * device sent it, and a page group response reaches the device only for a group issued under that
 * same owner.
 *
 * Seed thread 002 (PRI shared by a PF's users); PCIe Base 6.0 §10.4 (Page Request Group Index
 * matching); VT-d 4.x §7.10 (draining page requests before a PASID is reused); Linux
 * `intel_drain_pasid_prq`. The owner at send time is the history variable `sentUnder` the model
 * records with each request and group; a response from the host itself (a failure answer for a
 * PASID that has no owner any more) is not a guest's and is not judged.
 *
 * @module
 */
import type { Property } from "./property.ts"

/** The `pri-routing` property. */
export const priRouting: Property = {
  id: "pri-routing",
  statement:
    "A page request reaches only the owner of its (RID, PASID) when it was sent, and a page group response completes only a group sent under the responding owner.",
  kind: "isolation",
  citation: "Seed thread 002; PCIe Base 6.0 §10.4; VT-d 4.x §7.10 (drain page requests)",
  scope: "events",
  check: ({ events }) => {
    for (const e of events) {
      if (e._tag === "PageRequestDelivered" && e.to !== e.sentUnder)
        return `page request ${e.rid} PASID ${e.pasid} PRGI ${e.prgi} at IOVA 0x${e.iova.toString(16)} sent under ${e.sentUnder} was delivered to ${e.to}`
      if (e._tag === "PageResponseDelivered" && e.from !== e.groupSentUnder)
        return `${e.from}'s page group response completed group ${e.prgi} of ${e.rid} PASID ${e.pasid}, sent under ${e.groupSentUnder}`
    }
    return undefined
  },
}
