/**
 * The initial state of a topology: every function owned by the host with an empty ATC and no
 * context entry (blocked), one empty domain per VM (DID = 1 + the VM's index in sorted order),
 * pages with their declared owners, no procedure in flight.
 *
 * @module
 */
import { atsReset } from "./pcie/ats.ts"
import type { State } from "./state.ts"
import type { Topology } from "./topology.ts"

const byKey =
  <T>(key: (t: T) => string | number) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0

/** The state before any command. */
export const initialState = (topology: Topology): State => ({
  memory: [...topology.pages],
  functions: [...topology.functions].sort(byKey((f) => f.rid)).map((f) => ({
    rid: f.rid,
    kind: f.kind,
    pf: f.pf,
    owner: "host" as const,
    ats: atsReset(f.ats),
  })),
  iommu: {
    context: [],
    domains: [...topology.vms].sort().map((vm, i) => ({ did: i + 1, vm, ptes: [] })),
    iotlb: [],
  },
  host: { procedures: [] },
  iovas: [...topology.iovas].sort((a, b) => a - b),
})
