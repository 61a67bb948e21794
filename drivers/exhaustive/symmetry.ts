/**
 * Symmetry reduction for the exhaustive explorer (issue 19; TLC's SYMMETRY, Murphi's scalarsets:
 * Ip & Dill, "Better verification through symmetry", 1996): states that differ only by a
 * permutation of interchangeable functions are one state to the visited set.
 *
 * What is interchangeable is derived from the topology, never declared: VFs of one PF on the same
 * bus and device number whose topology entries are equal but for the RID, which no other entry
 * names (no sub-device has them as parent, no function uses them as its requester ID), and, in a
 * scenario with nesting, which are not on bus 00 (the virtual IOMMU gives guests vRIDs
 * `00:01.0`, `00:02.0`, … and a guest may name a physical RID as a vRID, so there a RID on bus 00
 * has a second meaning a renaming would not follow). The model reads a RID in three ways only:
 * equality, its bus and device number (IOMMU groups, ACS) and the sort order of RID-keyed
 * collections; the first two are the same for every member of a class, and `permuteState`
 * re-sorts the RID-keyed collections. VMs and pages are not permuted: HPA page numbers are tied to
 * IOVAs wherever an address is used as physical (pass-through contexts, RMRR unity maps, TDISP T=1
 * DMA), so a VM swap would need a matching IOVA permutation.
 *
 * Soundness rests on every permutation of the group being an automorphism of the scenario's
 * transition system (`enabled`, `step`) that leaves every property's verdict unchanged (the
 * properties name functions only by what they hold). `symmetry.test.ts` checks that, step by step,
 * on random traces of every catalogue scenario with a non-trivial group, and that explorations
 * with and without the reduction give the same verdicts, depths and shortest lengths.
 *
 * The canonical fingerprint of a state is the least fingerprint over the permutations that sort
 * each class's members by a signature of what they hold (their function record without the RID):
 * one permutation when the signatures differ, the tied ones' permutations otherwise. It is a
 * function of the orbit, so two states share it only if one is a permutation of the other (up to
 * a 64-bit fingerprint collision, as for any state).
 *
 * @module
 */
import type { Command } from "../../model/command.ts"
import type { Rid } from "../../model/ids.ts"
import type { PcieFunction } from "../../model/pcie/function.ts"
import type { State } from "../../model/state.ts"
import type { Topology } from "../../model/topology.ts"
import { type Fingerprint, fingerprintValue } from "./fingerprint.ts"

/** Classes of interchangeable RIDs (each sorted, at least two members); empty when there is no symmetry. */
export type SymmetryClasses = ReadonlyArray<ReadonlyArray<Rid>>

/** A renaming of RIDs: each RID of a class to another member of the same class. */
export type RidPermutation = ReadonlyMap<Rid, Rid>

/**
 * The classes of interchangeable VFs of `topology` (see the module doc): VFs grouped by their
 * topology entry without the RID and by bus and device number; classes of one are dropped.
 */
export const symmetryClasses = (topology: Topology): SymmetryClasses => {
  const named = new Set<string>([
    ...(topology.subdevices ?? []).map((d) => d.parent),
    ...topology.functions.flatMap((f) => (f.requesterId === undefined ? [] : [f.requesterId])),
  ])
  const classes = new Map<string, Array<Rid>>()
  for (const f of topology.functions) {
    if (f.kind !== "vf" || named.has(f.rid)) continue
    if (topology.nesting !== undefined && f.rid.startsWith("00:")) continue
    const { rid, ...rest } = f
    const key = `${rid.slice(0, 5)} ${JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)))}`
    classes.set(key, [...(classes.get(key) ?? []), rid])
  }
  return [...classes.values()].filter((c) => c.length > 1).map((c) => [...c].sort())
}

/** All orderings of `xs` (at most a few members per class: 2 in every catalogue scenario). */
const orderings = <T>(xs: ReadonlyArray<T>): Array<Array<T>> =>
  xs.length <= 1
    ? [[...xs]]
    : xs.flatMap((x, i) => orderings([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]))

const RID_TOKEN = /[0-9a-f]{2}:[01][0-9a-f]\.[0-7]/g

const renameString = (s: string, p: RidPermutation): string => {
  const exact = p.get(s)
  if (exact !== undefined) return exact
  // Derived names: procedure ids (`release:01:00.1`), invalidation tags.
  return s.length > 7 && s.includes(":") ? s.replace(RID_TOKEN, (r) => p.get(r) ?? r) : s
}

const compareKeys = (keys: ReadonlyArray<string>) => (a: unknown, b: unknown) => {
  for (const k of keys) {
    const x = k === "" ? a : (a as Record<string, unknown>)[k]
    const y = k === "" ? b : (b as Record<string, unknown>)[k]
    if (x === y) continue
    if (x === undefined) return -1
    if (y === undefined) return 1
    return (x as string | number) < (y as string | number) ? -1 : 1
  }
  return 0
}

/**
 * The RID-keyed collections of `State` and their keys (`""`: the element itself), by path; each is
 * kept sorted by the model (see the types' docs), so a renaming must sort it again.
 */
const RID_KEYED: ReadonlyMap<string, (a: unknown, b: unknown) => number> = new Map(
  (
    [
      ["functions", ["rid"]],
      ["guests[].capWrites", ["rid", "field"]],
      ["guests[].dma", ["rid"]],
      ["host.procedures", ["pid"]],
      ["host.procedures[].members", [""]],
      ["host.procedures[].oldDids", ["rid"]],
      ["host.vcaps", ["rid"]],
      ["iommu.cache.context", ["rid"]],
      ["iommu.cache.pasid", ["rid", "pasid"]],
      ["iommu.context", ["rid"]],
      ["iommu.pasids", ["rid", "pasid"]],
      ["nesting.attachments", ["rid", "pasid"]],
    ] as const
  ).map(([path, keys]) => [path, compareKeys(keys)]),
)

const NO_RID: unique symbol = Symbol("iovcheck.noRid")
const RID_LIKE = /[0-9a-f]{2}:[01][0-9a-f]\.[0-7]/

/**
 * Whether `v` holds no string with a RID in it, remembered on objects and arrays (under a symbol
 * naming the object itself, so that a spread copy, which inherits the mark, is not taken for it):
 * states share most of their parts with their parent, so most parts are looked at once.
 */
const ridFree = (v: unknown): boolean => {
  if (typeof v === "string") return !RID_LIKE.test(v)
  if (typeof v !== "object" || v === null) return true
  if ((v as { [NO_RID]?: object })[NO_RID] === v) return true
  let free = true
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && free; i++) free = ridFree(v[i])
  } else {
    const record = v as Record<string, unknown>
    for (const key in record) if (!ridFree(record[key])) free = false
  }
  if (free && Object.isExtensible(v)) (v as { [NO_RID]?: object })[NO_RID] = v
  return free
}

/**
 * `v` with every RID renamed by `p` (strings equal to a RID, and RIDs inside derived names), and
 * the RID-keyed collections re-sorted; parts with nothing to rename are returned as they are (so
 * they keep their cached fingerprints).
 */
const permuteValue = (v: unknown, p: RidPermutation, path: string): unknown => {
  if (typeof v === "string") return renameString(v, p)
  if (typeof v !== "object" || v === null || ridFree(v)) return v
  return permuteObject(v, p, path)
}

const permuteObject = (v: object, p: RidPermutation, path: string): unknown => {
  if (Array.isArray(v)) {
    const at = `${path}[]`
    let out: Array<unknown> | undefined
    for (let i = 0; i < v.length; i++) {
      const x = permuteValue(v[i], p, at)
      if (x !== v[i]) {
        out ??= v.slice()
        out[i] = x
      }
    }
    if (out === undefined) return v
    const order = RID_KEYED.get(path)
    return order === undefined ? out : out.sort(order)
  }
  let out: Record<string, unknown> | undefined
  const record = v as Record<string, unknown>
  for (const key in record) {
    const x = record[key]
    const y = permuteValue(x, p, path === "" ? key : `${path}.${key}`)
    if (y !== x) {
      out ??= { ...record }
      out[key] = y
    }
  }
  return out ?? v
}

/** `state` with its RIDs renamed by `p` (a member of the symmetry group): the state `p` maps it to. */
export const permuteState = (state: State, p: RidPermutation): State => permuteValue(state, p, "") as State

/** `command` with its RIDs renamed by `p`. */
export const permuteCommand = (command: Command, p: RidPermutation): Command =>
  permuteValue(command, p, "command") as Command

/** Every permutation of the group the classes generate (the identity first). */
export const groupElements = (classes: SymmetryClasses): ReadonlyArray<RidPermutation> =>
  classes.reduce<Array<Map<Rid, Rid>>>(
    (acc, c) =>
      acc.flatMap((p) =>
        orderings(c).map((o) => {
          const q = new Map(p)
          c.forEach((rid, i) => {
            if (o[i] !== rid) q.set(rid, o[i] as Rid)
          })
          return q
        }),
      ),
    [new Map()],
  )

const SIGNATURE: unique symbol = Symbol("iovcheck.signature")

/**
 * What a function holds, whatever its RID: the fingerprint of its record without the RID, as a
 * 16-digit hex string; remembered on the record (as `ridFree` marks are).
 */
const signature = (f: PcieFunction): string => {
  const hit = (f as { [SIGNATURE]?: { of: object; sig: string } })[SIGNATURE]
  if (hit !== undefined && hit.of === f) return hit.sig
  const { rid: _, ...held } = f
  const h = fingerprintValue(held, 3)
  const sig = `${h.hi.toString(16).padStart(8, "0")}${h.lo.toString(16).padStart(8, "0")}`
  if (Object.isExtensible(f)) (f as { [SIGNATURE]?: { of: object; sig: string } })[SIGNATURE] = { of: f, sig }
  return sig
}

const less = (a: Fingerprint, b: Fingerprint): boolean => a.hi < b.hi || (a.hi === b.hi && a.lo < b.lo)

/**
 * The canonical fingerprint of states under `classes` (see the module doc), or `fingerprintValue`
 * itself when there are no classes.
 */
export const canonicalFingerprint = (classes: SymmetryClasses): ((state: State) => Fingerprint) => {
  if (classes.length === 0) return (s) => fingerprintValue(s)
  if (classes.every((c) => c.length === 2)) return pairsCanonical(classes)
  return (state) => {
    // For each class, the members in signature order, tied runs to be tried in every order.
    let candidates: Array<Map<Rid, Rid>> = [new Map()]
    for (const c of classes) {
      const sigs = c.map((rid) => ({ rid, sig: signature(functionOf(state, rid)) }))
      sigs.sort((a, b) => (a.sig < b.sig ? -1 : a.sig > b.sig ? 1 : 0))
      // Runs of equal signatures, in order; the i-th member in signature order goes to slot c[i].
      const runs: Array<Array<Rid>> = []
      for (let i = 0; i < sigs.length; i++) {
        const s = sigs[i] as { rid: Rid; sig: string }
        if (i > 0 && (sigs[i - 1] as { sig: string }).sig === s.sig) (runs[runs.length - 1] as Array<Rid>).push(s.rid)
        else runs.push([s.rid])
      }
      let slotOrders: Array<Array<Rid>> = [[]]
      for (const run of runs) slotOrders = slotOrders.flatMap((prefix) => orderings(run).map((o) => [...prefix, ...o]))
      candidates = candidates.flatMap((p) =>
        slotOrders.map((order) => {
          const q = new Map(p)
          order.forEach((rid, i) => {
            if (c[i] !== rid) q.set(rid, c[i] as Rid)
          })
          return q
        }),
      )
    }
    return leastOver(state, candidates)
  }
}

const functionOf = (state: State, rid: Rid): PcieFunction => state.functions.find((x) => x.rid === rid) as PcieFunction

const leastOver = (state: State, candidates: ReadonlyArray<RidPermutation>): Fingerprint => {
  let best: Fingerprint | undefined
  for (const p of candidates) {
    const h = fingerprintValue(p.size === 0 ? state : permuteState(state, p))
    if (best === undefined || less(h, best)) best = h
  }
  return best as Fingerprint
}

/**
 * The same canonical fingerprint when every class is a pair (every catalogue scenario): per pair,
 * the identity when its first member's signature is the lesser, the swap when it is the greater,
 * both on a tie; the permutations precomputed by which pairs they swap.
 */
const pairsCanonical = (classes: SymmetryClasses): ((state: State) => Fingerprint) => {
  const bySwaps: Array<RidPermutation> = []
  for (let mask = 0; mask < 1 << classes.length; mask++)
    bySwaps.push(
      new Map(
        classes.flatMap((c, k) =>
          (mask >> k) & 1
            ? [
                [c[0] as Rid, c[1] as Rid],
                [c[1] as Rid, c[0] as Rid],
              ]
            : [],
        ),
      ),
    )
  return (state) => {
    let masks = [0]
    for (let k = 0; k < classes.length; k++) {
      const c = classes[k] as ReadonlyArray<Rid>
      const a = signature(functionOf(state, c[0] as Rid))
      const b = signature(functionOf(state, c[1] as Rid))
      if (a > b) masks = masks.map((m) => m | (1 << k))
      else if (a === b) masks = [...masks, ...masks.map((m) => m | (1 << k))]
    }
    return leastOver(
      state,
      masks.map((m) => bySwaps[m] as RidPermutation),
    )
  }
}
