/**
 * The IDs a counterexample's commands name must exist in its scenario's topology: a file whose
 * trace names RID 09:00.7, vm9, page 999 or DMA handle 999 is damaged (a hand edit, a foreign
 * file), and replaying it would run "clean" through rejected no-ops and read as "fixed". Decoding
 * rejects it instead, naming the command index and field.
 *
 * One generic validator keyed by field name (the vocabulary of `shrinkers/ids.ts`), so a command
 * added later with the same field names is covered without an edit here. `RULES` gives the domain
 * of each field (a nested field as `message.dest`); `FREE_FIELDS` lists, with the reason, the
 * fields that carry no topology ID. A test checks that every field of the `Command` schema is in
 * one of the two, and that every command `enabled` generates over the catalogue passes.
 *
 * | field | must be |
 * | --- | --- |
 * | `vm` | a VM of the topology |
 * | `rid`, `peer` | a function (PF or VF) of the topology |
 * | `iface` | a function or a sub-device |
 * | `sub` | a sub-device (ADI or mdev) |
 * | `page` | an HPA page: 0 … pages − 1 |
 * | `entry` | an MSI-X/IMS entry of the command's `iface` |
 * | `vector`, `message.vector` | a vector owners may use: 0 … vectors − 1 |
 * | `message.dest` | `host` or a VM |
 * | `message.handle` | an interrupt index below 2^16 (a guest may write any; one past the table faults) |
 * | `handle` | a DMA handle an earlier command can have made: 1 … the command's index |
 * | `pasid` | below 2^20 (the PASID width); for a host command, a PASID of the topology |
 * | `prgi` | below 2^9 (the page request group index width) |
 * | `table` | a stage-1 table of the command's VM: 1 … nesting tables |
 * | `vtag` | below 2^16 (a guest's virtual domain tag, of its choosing) |
 * | `iova` | for a host command, an IOVA of the topology (the only ones the VMM maps); else any |
 * | `pid` | a procedure this topology can start: `unmap:<vm>:<iova>`, `irte:<iface>:<entry>`, `pasid:<rid>:<pasid>`, `pasidcfg:<rid>`, `release:<rid>`, `reset:<rid>`, `flushq`, `ginvq:<vm>` (with nesting) |
 *
 * What stays free is what the model itself lets an actor choose: a guest may name any well-formed
 * RID as a `vrid` (the attack of the nested scenarios) and any IOVA or GPA in its own stage-1 tables
 * and invalidations; a device may address any IOVA and tag any PASID (the IOMMU faults it).
 *
 * @module
 */
import { actorOf, type Command } from "../model/command.ts"
import { unmapPid } from "../model/host/unmap.ts"
import { irtePid } from "../model/host/irte-programming.ts"
import { teardownPid } from "../model/host/pasid-teardown.ts"
import { FLUSH_QUEUE_PID } from "../model/host/flush-queue.ts"
import { pasidEntryUpdatePid } from "../model/host/pasid-entry-update.ts"
import { releasePid } from "../model/host/release.ts"
import { resetPid } from "../model/host/reset.ts"
import { formatIova } from "../model/ids.ts"
import { initialState } from "../model/init.ts"
import { queuePid } from "../model/nesting/guest-invalidation.ts"
import type { Topology } from "../model/topology.ts"

/** What the rules know of a topology. */
interface Domains {
  readonly vms: ReadonlyArray<string>
  readonly rids: ReadonlyArray<string>
  readonly subs: ReadonlyArray<string>
  /** MSI-X/IMS entries per interface (function RID or sub-device id). */
  readonly entries: ReadonlyMap<string, number>
  readonly pages: number
  readonly vectors: number
  readonly pasids: ReadonlyArray<number>
  readonly iovas: ReadonlyArray<number>
  /** Stage-1 tables per VM (none without nesting). */
  readonly tables: ReadonlyMap<string, number>
  readonly pids: ReadonlySet<string>
}

const domainsOf = (topology: Topology): Domains => {
  const s = initialState(topology)
  const entries = new Map<string, number>([
    ...s.functions.map((f) => [f.rid, f.msix.length] as const),
    ...s.subdevices.map((d) => [d.id, d.ims.length] as const),
  ])
  const tables = new Map<string, number>()
  for (const t of s.nesting?.tables ?? []) tables.set(t.vm, Math.max(tables.get(t.vm) ?? 0, t.table))
  const vms = s.guests.map((g) => g.vm)
  const rids = s.functions.map((f) => f.rid)
  const pids = new Set<string>([
    ...vms.flatMap((vm) => s.iovas.map((iova) => unmapPid(vm, iova))),
    ...(s.nesting === undefined ? [] : vms.map(queuePid)),
    ...[...entries].flatMap(([iface, n]) => Array.from({ length: n }, (_, e) => irtePid(iface, e))),
    ...rids.flatMap((rid) => s.pasids.map((pasid) => teardownPid(rid, pasid))),
    ...rids.flatMap((rid) => [pasidEntryUpdatePid(rid), releasePid(rid), resetPid(rid)]),
    FLUSH_QUEUE_PID,
  ])
  return {
    vms,
    rids,
    subs: s.subdevices.map((d) => d.id),
    entries,
    pages: s.memory.length,
    vectors: s.vectors,
    pasids: s.pasids,
    iovas: s.iovas,
    tables,
    pids,
  }
}

/** What a rule sees: the topology's domains, the whole command, and its index in the trace. */
interface RuleContext {
  readonly d: Domains
  readonly command: Command
  readonly index: number
}

/** A rule: `undefined` when the value is in its domain, else the reason, without the field name. */
type Rule = (value: unknown, ctx: RuleContext) => string | undefined

const list = (xs: ReadonlyArray<string | number>): string => (xs.length === 0 ? "none" : xs.join(", "))

const among =
  (what: string, domain: (d: Domains) => ReadonlyArray<string | number>): Rule =>
  (v, { d }) =>
    domain(d).includes(v as string | number)
      ? undefined
      : `${JSON.stringify(v)} is not ${what} of the scenario's topology (${list(domain(d))})`

const below =
  (bound: number, what: string): Rule =>
  (v) =>
    typeof v === "number" && v < bound ? undefined : `${v} is out of range: ${what} is below ${bound}`

const vector: Rule = (v, { d }) =>
  typeof v === "number" && v < d.vectors
    ? undefined
    : `vector ${v} is out of range: the topology gives ${d.vectors} vector(s) per owner (0 … ${d.vectors - 1})`

/** The domain of each field, by name (see the module doc). */
export const RULES: Readonly<Record<string, Rule>> = {
  vm: among("a VM", (d) => d.vms),
  rid: among("a function", (d) => d.rids),
  peer: among("a function", (d) => d.rids),
  iface: among("a function or sub-device", (d) => [...d.rids, ...d.subs]),
  sub: among("a sub-device", (d) => d.subs),
  page: (v, { d }) =>
    typeof v === "number" && v < d.pages
      ? undefined
      : `page ${v} is not a page of the scenario's topology (0 … ${d.pages - 1})`,
  entry: (v, { d, command }) => {
    const iface = (command as { readonly iface?: unknown }).iface
    const n = typeof iface === "string" ? d.entries.get(iface) : undefined
    if (n === undefined || (typeof v === "number" && v < n)) return undefined
    return `${iface} has no interrupt entry ${v} (it has ${n}${n > 0 ? `: 0 … ${n - 1}` : ""})`
  },
  vector,
  "message.vector": vector,
  "message.dest": among("host or a VM", (d) => ["host", ...d.vms]),
  "message.handle": below(2 ** 16, "an interrupt index"),
  handle: (v, { index }) =>
    typeof v === "number" && v <= index
      ? undefined
      : `DMA handle ${v} cannot exist at command ${index}: handles are numbered from 1, at most one per earlier command`,
  pasid: (v, { d, command }) =>
    typeof v === "number" && v >= 2 ** 20
      ? `${v} is out of range: a PASID is below ${2 ** 20}`
      : actorOf(command) === "host" && !d.pasids.includes(v as number)
        ? `PASID ${v} is not a PASID of the scenario's topology (${list(d.pasids)})`
        : undefined,
  prgi: below(2 ** 9, "a page request group index"),
  table: (v, { d, command }) => {
    const vm = (command as { readonly vm?: unknown }).vm
    const n = typeof vm === "string" ? (d.tables.get(vm) ?? 0) : 0
    return typeof v === "number" && v <= n
      ? undefined
      : n === 0
        ? `stage-1 table ${v}: the scenario's topology has no nesting tables for ${vm}`
        : `stage-1 table ${v} is not a table of ${vm} (1 … ${n})`
  },
  vtag: below(2 ** 16, "a virtual domain tag"),
  iova: (v, { d, command }) =>
    actorOf(command) !== "host" || d.iovas.includes(v as number)
      ? undefined
      : `${formatIova(v as number)} is not an IOVA of the scenario's topology (${list(d.iovas.map(formatIova))})`,
  pid: (v, { d }) =>
    d.pids.has(v as string)
      ? undefined
      : `no procedure ${JSON.stringify(v)} can exist in the scenario's topology (procedure ids look like ${[...d.pids].slice(0, 3).join(", ") || "unmap:vm1:0x1000"})`,
}

/** Fields that carry no topology ID, with the reason (a test checks every Command field is in `RULES` or here). */
export const FREE_FIELDS: Readonly<Record<string, string>> = {
  _tag: "the command kind (the Schema checks it)",
  "message._tag": "the message format (the Schema checks it)",
  vrid: "a guest may name any well-formed RID as a vRID",
  gpa: "a guest's stage-1 may map any GPA",
  field: "an enumeration (the Schema checks it)",
  value: "a bit value",
  access: "an enumeration (the Schema checks it)",
  privileged: "a bit value",
  enable: "a bit value",
  request: "an enumeration (the Schema checks it)",
  to: "an enumeration (the Schema checks it)",
  pages: "a mapping's granule count, 1 or 2 (the Schema checks it; the map step checks its IOVAs and pages)",
}

/** A command field that names something outside the topology: its path in the file and why. */
export interface CommandIdIssue {
  readonly path: ReadonlyArray<string | number>
  readonly issue: string
}

/**
 * A checker of single commands against `topology`: the first field of `command` (at `index` in its
 * trace) that names an ID outside the topology, or `undefined`. Its `path` starts at `commands`.
 */
export const commandIdChecker = (
  topology: Topology,
): ((command: Command, index: number) => CommandIdIssue | undefined) => {
  const d = domainsOf(topology)
  return (command, index) => {
    const ctx = { d, command, index }
    const fields: Array<readonly [ReadonlyArray<string>, unknown]> = []
    for (const [key, value] of Object.entries(command))
      if (typeof value === "object" && value !== null)
        for (const [inner, v] of Object.entries(value)) fields.push([[key, inner], v])
      else fields.push([[key], value])
    for (const [path, value] of fields) {
      const reason = RULES[path.join(".")]?.(value, ctx)
      if (reason !== undefined) return { path: ["commands", index, ...path], issue: `${command._tag}: ${reason}` }
    }
    return undefined
  }
}

/** The first command field of `commands` that names an ID outside `topology`, or `undefined`. */
export const commandIdIssue = (topology: Topology, commands: ReadonlyArray<Command>): CommandIdIssue | undefined => {
  const check = commandIdChecker(topology)
  for (const [index, command] of commands.entries()) {
    const issue = check(command, index)
    if (issue !== undefined) return issue
  }
  return undefined
}
