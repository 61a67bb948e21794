/**
 * The IDs a trace names, by kind, and their substitution: the vocabulary of the value-simplifying
 * and renumbering shrinkers. Kinds are the command fields `vm`, `rid`, `page` and `iova`; a
 * procedure id (`pid`, e.g. `"unmap:vm2:0x2000"`) is rewritten with the same substitution, since
 * it is derived from those IDs.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import type { Topology } from "../model/topology.ts"

/** A kind of ID a command field carries. */
export type IdKind = "vm" | "rid" | "page" | "iova"

/** The kinds, in the order the shrinkers treat them. */
export const ID_KINDS: ReadonlyArray<IdKind> = ["vm", "rid", "page", "iova"]

/** Every value each kind may take in a topology, ascending. */
export type IdDomains = { readonly [K in IdKind]: ReadonlyArray<string | number> }

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
  page: t.pages.map((_, i) => i),
  iova: [...t.iovas].sort((a, b) => a - b),
})

/** The IDs of one kind (within its domain) a trace names, in order of first appearance (pids included). */
export const idsOf = (trace: ReadonlyArray<Command>, kind: IdKind, domain: ReadonlyArray<string | number>) => {
  const seen: Array<string | number> = []
  const note = (v: string | number) => {
    if (!seen.includes(v) && domain.includes(v)) seen.push(v)
  }
  for (const c of trace) {
    const value = (c as Record<string, unknown>)[kind]
    if (typeof value === "string" || typeof value === "number") note(value)
    if (c._tag === "HostAdvance") for (const v of domain) if (pidMentions(c.pid, kind, v)) note(v)
  }
  return seen
}

const token = (kind: IdKind, v: string | number): string =>
  kind === "iova" ? `0x${Number(v).toString(16)}` : String(v)

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A pattern matching any of `tokens` as a whole ":"-separated part of a pid (RIDs contain ":"). */
const tokenPattern = (tokens: ReadonlyArray<string>): RegExp =>
  new RegExp(`(^|:)(${tokens.map(escapeRegExp).join("|")})(?=:|$)`, "g")

const pidMentions = (pid: string, kind: IdKind, v: string | number): boolean =>
  kind !== "page" && tokenPattern([token(kind, v)]).test(pid)

/** Applies a substitution of one kind's IDs (a map from old to new value) to every command. */
export const substitute = (
  trace: ReadonlyArray<Command>,
  kind: IdKind,
  mapping: ReadonlyMap<string | number, string | number>,
): ReadonlyArray<Command> =>
  trace.map((c) => {
    const record = c as Record<string, unknown>
    const value = record[kind]
    let out = c
    if ((typeof value === "string" || typeof value === "number") && mapping.has(value))
      out = { ...out, [kind]: mapping.get(value) } as Command
    if (out._tag === "HostAdvance" && kind !== "page" && mapping.size > 0) {
      const byToken = new Map([...mapping].map(([from, to]) => [token(kind, from), token(kind, to)]))
      const pid = out.pid.replace(
        tokenPattern([...byToken.keys()]),
        (_m, lead: string, t: string) => lead + byToken.get(t),
      )
      out = { ...out, pid }
    }
    return out
  })
