/**
 * Where an interface's interrupt messages are stored on the device: the MSI-X table of a function
 * (PCIe Base 6.0 §6.1.4.2, §7.7.2) or the IMS entries of an ADI (Intel SIOV spec §3.4, seed thread
 * 000). An mdev has none. A write to a function's MSI-X table is a configuration write
 * (`config-write.ts`): a TDI that locked the table goes to ERROR.
 *
 * @module
 */
import type { Event } from "../event.ts"
import type { Message } from "../interrupt/message.ts"
import type { State, StepContext } from "../state.ts"
import { writeFunctionConfig } from "./config-write.ts"

/**
 * Writes `message` into entry `entry` of interface `iface`; `undefined` when there is no such
 * entry. Returns the state and the events of the write's side effects (a TDI leaving RUN).
 */
export const writeInterruptEntry = (
  ctx: StepContext,
  state: State,
  iface: string,
  entry: number,
  message: Message,
): { readonly state: State; readonly events: ReadonlyArray<Event> } | undefined => {
  const put = (entries: ReadonlyArray<Message | null>) =>
    entry < entries.length ? entries.map((m, i) => (i === entry ? message : m)) : undefined
  const fn = state.functions.find((f) => f.rid === iface)
  if (fn !== undefined) {
    const msix = put(fn.msix)
    return msix === undefined ? undefined : writeFunctionConfig(ctx, state, iface, (f) => ({ ...f, msix }))
  }
  const subIndex = state.subdevices.findIndex((d) => d.id === iface)
  if (subIndex < 0) return undefined
  const ims = put((state.subdevices[subIndex] as State["subdevices"][number]).ims)
  return ims === undefined
    ? undefined
    : {
        state: { ...state, subdevices: state.subdevices.map((d, i) => (i === subIndex ? { ...d, ims } : d)) },
        events: [],
      }
}
