/**
 * A guest writing raw addr/data into an MSI-X or IMS entry of an interface assigned to it (seed
 * thread 000). Under `interruptStore: "host-managed"` the VMM traps the write (VFIO emulates the
 * MSI-X table; the SIOV spec keeps IMS out of the guest's reach): the physical entry does not
 * change, and the guest's interrupts are set up only through `GuestRequestInterrupt`. Under
 * `"guest-writable"` (IMS in guest-visible memory) the write lands in the physical entry as is.
 *
 * @module
 */
import type { VmId } from "../ids.ts"
import { formatMessage, type Message } from "../interrupt/message.ts"
import { ok, rejected } from "../outcome.ts"
import { writeInterruptEntry } from "../pcie/interrupt-store.ts"
import { requesterOf } from "../pcie/requester.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"

/** `GuestWriteInterruptEntry { vm, iface, entry, message }`. Rejected unless the entry is the VM's. */
export const guestWriteInterruptEntry = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  iface: string,
  entry: number,
  message: Message,
): StepResult => {
  const r = requesterOf(state, ctx.policy, iface)
  if (r === undefined || r.owner !== vm) return unchanged(state, rejected(`${iface} is not assigned to ${vm}`))
  if (entry >= r.entries.length) return unchanged(state, rejected(`${iface} has no interrupt entry ${entry}`))
  if (ctx.policy.interruptStore === "host-managed")
    return {
      state,
      outcome: ok,
      events: [{ _tag: "GuestWriteTrapped", vm, iface, what: `entry ${entry} = ${formatMessage(message)}` }],
    }
  const written = writeInterruptEntry(ctx, state, iface, entry, message) ?? { state, events: [] }
  return {
    state: written.state,
    outcome: ok,
    events: [{ _tag: "InterruptEntryWritten", iface, entry, message, by: "guest" }, ...written.events],
  }
}
