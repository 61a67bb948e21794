/**
 * Where an interface's interrupt messages are stored on the device: the MSI-X table of a function
 * (PCIe Base 6.0 §6.1.4.2, §7.7.2) or the IMS entries of an ADI (Intel SIOV spec §3.4, seed thread
 * 000). An mdev has none.
 *
 * @module
 */
import type { Message } from "../interrupt/message.ts"
import type { State } from "../state.ts"

/** Writes `message` into entry `entry` of interface `iface`; `undefined` when there is no such entry. */
export const writeInterruptEntry = (
  state: State,
  iface: string,
  entry: number,
  message: Message,
): State | undefined => {
  const put = (entries: ReadonlyArray<Message | null>) =>
    entry < entries.length ? entries.map((m, i) => (i === entry ? message : m)) : undefined
  const fnIndex = state.functions.findIndex((f) => f.rid === iface)
  if (fnIndex >= 0) {
    const msix = put((state.functions[fnIndex] as State["functions"][number]).msix)
    return msix === undefined
      ? undefined
      : { ...state, functions: state.functions.map((f, i) => (i === fnIndex ? { ...f, msix } : f)) }
  }
  const subIndex = state.subdevices.findIndex((d) => d.id === iface)
  if (subIndex < 0) return undefined
  const ims = put((state.subdevices[subIndex] as State["subdevices"][number]).ims)
  return ims === undefined
    ? undefined
    : { ...state, subdevices: state.subdevices.map((d, i) => (i === subIndex ? { ...d, ims } : d)) }
}
