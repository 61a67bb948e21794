/**
 * The initial state of a topology: every function and sub-device owned by the host with an empty
 * ATC, no interrupt entry programmed, and no context entry (blocked) unless the topology gives the
 * host a pass-through one; one empty domain per VM, with no Domain-ID until its first user;
 * pages with their declared owners; an empty interrupt remapping table; no procedure in flight.
 *
 * @module
 */
import { EMPTY_ENTRY_CACHE } from "./iommu/entry-cache.ts"
import { initialNesting } from "./nesting/nesting.ts"
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
  privatePages: topology.pages.map((o) => (topology.confidential ?? []).includes(o)),
  cvms: [...(topology.confidential ?? [])].sort(),
  functions: [...topology.functions].sort(byKey((f) => f.rid)).map((f) => ({
    rid: f.rid,
    kind: f.kind,
    pf: f.pf,
    owner: "host" as const,
    ats: atsReset(f.ats),
    bme: f.bme ?? true,
    msix: Array.from({ length: f.msix ?? 0 }, () => null),
    caps: f.pasidPri === true ? { pasidEnable: true, exec: true, priv: true, priEnable: true } : undefined,
    groups: [],
    tdi: f.tdisp === true ? { state: "CONFIG_UNLOCKED" as const, locked: undefined, trust: 0 as const } : undefined,
    posted: [],
    link: "up" as const,
    ...(f.malicious === true ? { malicious: true as const } : {}),
    ...(f.untrusted === true ? { untrusted: true as const } : {}),
    ...(f.requesterId !== undefined && f.requesterId !== f.rid ? { requesterId: f.requesterId } : {}),
    ...(f.acs === false ? { acs: false as const } : {}),
    ...(f.rmrr !== undefined && f.rmrr.length > 0 ? { rmrr: [...f.rmrr].sort((a, b) => a - b) } : {}),
    ...(f.flr === false ? { flr: false as const } : {}),
  })),
  subdevices: [...(topology.subdevices ?? [])].sort(byKey((d) => d.id)).map((d) => ({
    id: d.id,
    kind: d.kind,
    parent: d.parent,
    pasid: d.pasid,
    owner: "host" as const,
    ims: Array.from({ length: d.ims ?? (d.kind === "adi" ? 1 : 0) }, () => null),
  })),
  iommu: {
    // The host's identity domain maps every DMA alias of the device, as Linux's attach does.
    context: [
      ...new Set(
        topology.functions
          .filter((f) => f.hostContext === "pass-through")
          .flatMap((f) => (f.requesterId === undefined ? [f.rid] : [f.rid, f.requesterId])),
      ),
    ]
      .map((rid) => ({ rid, kind: "pass-through" as const }))
      .sort(byKey((e) => e.rid)),
    pasids: [],
    cache: EMPTY_ENTRY_CACHE,
    domains: [...topology.vms].sort().map((vm) => ({ did: undefined, vm, ptes: [] })),
    iotlb: [],
    interrupts: { irt: Array.from({ length: topology.irtes ?? 4 }, () => null), iec: [] },
    prq: [],
    physicalPages: topology.pages.length,
  },
  host: { procedures: [], vcaps: [], flushQueue: [] },
  guests: [...topology.vms].sort().map((vm) => ({ vm, capWrites: [], faults: [], dma: [], viommu: [] })),
  iovas: [...topology.iovas].sort((a, b) => a - b),
  vectors: topology.vectors ?? 1,
  pasids: [...(topology.pasids ?? [])].sort((a, b) => a - b),
  prgis: topology.prgis ?? 1,
  ...(topology.nesting === undefined ? {} : { nesting: initialNesting(topology.vms, topology.nesting.tables) }),
})
