/**
 * The IDs a trace names, by kind, and their substitution: the vocabulary of the value-simplifying
 * and renumbering shrinkers. Each kind lives in some command fields: VMs in `vm` and in a
 * message's `dest`; VF RIDs in `rid`, `peer`, `iface` and `vrid` (a guest may name a pRID as its vRID);
 * sub-device ids in `sub` and `iface`; pages in `page`; IOVAs in `iova` and `gpa` (a GPA is the
 * nesting parent's IOVA). A procedure id (`pid`, e.g. `"unmap:vm2:0x2000"`, `"irte:adi1:0"`) is
 * rewritten with the same substitution, since it is derived from those IDs.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import type { Topology } from "../model/topology.ts"

/** A kind of ID a command field carries. */
export type IdKind = "vm" | "rid" | "sub" | "page" | "iova"

/** The kinds, in the order the shrinkers treat them. */
export const ID_KINDS: ReadonlyArray<IdKind> = ["vm", "rid", "sub", "page", "iova"]

/** Every value each kind may take in a topology, ascending. */
export type IdDomains = { readonly [K in IdKind]: ReadonlyArray<string | number> }

type Value = string | number

/** Where each kind sits in a command: paths of one or two keys. */
const FIELDS: { readonly [K in IdKind]: ReadonlyArray<ReadonlyArray<string>> } = {
  vm: [["vm"], ["message", "dest"]],
  rid: [["rid"], ["peer"], ["iface"], ["vrid"]],
  sub: [["sub"], ["iface"]],
  page: [["page"]],
  iova: [["iova"], ["gpa"]],
}

/**
 * The ID domains of a topology. RIDs are those of the VFs only: a VF and a PF are not
 * interchangeable, so a PF a trace names keeps its RID.
 */
export const idDomains = (t: Topology): IdDomains => ({
  vm: [...t.vms].sort(),
  rid: t.functions
    .filter((f) => f.kind === "vf")
    .map((f) => f.rid)
    .sort(),
  sub: (t.subdevices ?? []).map((d) => d.id).sort(),
  page: t.pages.map((_, i) => i),
  iova: [...t.iovas].sort((a, b) => a - b),
})

const read = (c: Command, path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>(
    (v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    c,
  )

const token = (kind: IdKind, v: Value): string => (kind === "iova" ? `0x${Number(v).toString(16)}` : String(v))

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A pattern matching any of `tokens` as a whole ":"-separated part of a pid (RIDs contain ":"). */
const tokenPattern = (tokens: ReadonlyArray<string>): RegExp =>
  new RegExp(`(^|:)(${tokens.map(escapeRegExp).join("|")})(?=:|$)`, "g")

/** The IDs of one kind (within its domain) a trace names, in order of first appearance (pids included). */
export const idsOf = (trace: ReadonlyArray<Command>, kind: IdKind, domain: ReadonlyArray<Value>): Array<Value> => {
  const seen: Array<Value> = []
  const note = (v: unknown) => {
    if ((typeof v === "string" || typeof v === "number") && !seen.includes(v) && domain.includes(v)) seen.push(v)
  }
  for (const c of trace) {
    for (const path of FIELDS[kind]) note(read(c, path))
    if (c._tag === "HostAdvance") for (const v of domain) if (tokenPattern([token(kind, v)]).test(c.pid)) note(v)
  }
  return seen
}

const rewrite = (c: Command, path: ReadonlyArray<string>, mapping: ReadonlyMap<Value, Value>): Command => {
  const [head, ...rest] = path
  if (head === undefined) return c
  const record = c as unknown as Record<string, unknown>
  const value = record[head]
  if (rest.length === 0)
    return (typeof value === "string" || typeof value === "number") && mapping.has(value)
      ? ({ ...record, [head]: mapping.get(value) } as unknown as Command)
      : c
  if (typeof value !== "object" || value === null) return c
  const inner = rewrite(value as Command, rest, mapping)
  return inner === value ? c : ({ ...record, [head]: inner } as unknown as Command)
}

/** Applies a substitution of one kind's IDs (a map from old to new value) to every command. */
export const substitute = (
  trace: ReadonlyArray<Command>,
  kind: IdKind,
  mapping: ReadonlyMap<Value, Value>,
): ReadonlyArray<Command> =>
  trace.map((c) => {
    let out = FIELDS[kind].reduce((acc, path) => rewrite(acc, path, mapping), c)
    if (out._tag === "HostAdvance" && mapping.size > 0) {
      const byToken = new Map([...mapping].map(([from, to]) => [token(kind, from), token(kind, to)]))
      const pid = out.pid.replace(
        tokenPattern([...byToken.keys()]),
        (_m, lead: string, t: string) => lead + byToken.get(t),
      )
      out = { ...out, pid }
    }
    return out
  })
