/**
 * The programs of a scenario's procedures (DESIGN.md §9, "designs as programs"): a scenario may
 * give the program of any procedure in `procedures`; an absent one takes the preset of the policy
 * knobs, whose defaults are the programs the specs prescribe. `step` reads them from the `Programs`
 * service, built once per scenario, so their cost per step is a lookup.
 *
 * JSON shape (every key optional; each operation a name or `{ "op": name, …parameters }`):
 * ```json
 * "procedures": {
 *   "unmap": ["clear-pte", { "op": "invalidate-iotlb", "scope": "range" }, "invalidate-atc", "wait-atc", "free-page"],
 *   "irte": ["write-irte", "invalidate-iec", "write-entry"],
 *   "pasid-teardown": ["clear-entry", "invalidate-atc", "wait-atc", "drain-prq", "free-pasid"],
 *   "pasid-update": ["write-entry", "invalidate-atc", "wait-atc", "complete-write"],
 *   "guest-queue": { "iotlb": ["invalidate-iotlb"], "atc": [{ "op": "forward-atc", "vrid": "translated" }],
 *                    "wait": ["wait-atc"] }
 * }
 * ```
 * The vocabulary of each procedure, its parameters and their sources are in the procedure's module
 * (`host/unmap.ts`, `host/irte-programming.ts`, `host/pasid-teardown.ts`,
 * `host/pasid-entry-update.ts`, `nesting/guest-invalidation.ts`). A program that cannot run (a
 * wait for completions nothing requested, a PTE never cleared) is rejected when the scenario is
 * decoded, naming the procedure and the entry; so is a program given together with a knob that
 * presets the same procedure.
 *
 * @module
 */
import { Context, Schema } from "effect"
import { type IrteOp, IrteOpInput, IRTE_PRESET, irteOp, irteProgramError } from "./host/irte-programming.ts"
import {
  type PasidUpdateOp,
  PasidUpdateOpInput,
  pasidUpdateOp,
  pasidUpdatePreset,
  pasidUpdateProgramError,
} from "./host/pasid-entry-update.ts"
import {
  type TeardownOp,
  TeardownOpInput,
  teardownOp,
  teardownPreset,
  teardownProgramError,
} from "./host/pasid-teardown.ts"
import {
  type FlushQueueOp,
  FlushQueueOpInput,
  flushQueueOp,
  flushQueuePreset,
  flushQueueProgramError,
} from "./host/flush-queue.ts"
import { type ReleaseOp, ReleaseOpInput, releaseOp, releasePreset, releaseProgramError } from "./host/release.ts"
import { RESET_PRESET, type ResetOp, ResetOpInput, resetOp, resetProgramError } from "./host/reset.ts"
import { type UnmapOp, UnmapOpInput, unmapOp, unmapPreset, unmapProgramError } from "./host/unmap.ts"
import {
  type GuestQueueProgram,
  GuestQueueProgramInput,
  guestQueueProgram,
  RecordedGuestQueueProgram,
} from "./nesting/guest-invalidation.ts"
import type { Procedure } from "./host/host.ts"
import { type PolicyInput, type PolicyValues, resolvePolicy } from "./policy.ts"
import { formatOp, formatProgram, type Op } from "./program.ts"

/** Schema of a scenario's `procedures`: the programs it gives, by procedure. */
export const ProceduresSchema = Schema.Struct({
  unmap: Schema.optionalKey(Schema.Array(UnmapOpInput)),
  irte: Schema.optionalKey(Schema.Array(IrteOpInput)),
  "pasid-teardown": Schema.optionalKey(Schema.Array(TeardownOpInput)),
  "pasid-update": Schema.optionalKey(Schema.Array(PasidUpdateOpInput)),
  "guest-queue": Schema.optionalKey(GuestQueueProgramInput),
  release: Schema.optionalKey(Schema.Array(ReleaseOpInput)),
  reset: Schema.optionalKey(Schema.Array(ResetOpInput)),
  "flush-queue": Schema.optionalKey(Schema.Array(FlushQueueOpInput)),
})

/** A scenario's `procedures` as written. */
export type ProceduresInput = typeof ProceduresSchema.Type

/**
 * Schema of the programs a run used, as a counterexample file records them (its `programs`, format
 * version 2): the shape of a scenario's `procedures` with every procedure given and every parameter
 * written out, so a replay by a later iovcheck runs the same programs whatever its presets became.
 */
export const RecordedProgramsSchema = Schema.Struct({
  unmap: Schema.Array(UnmapOpInput),
  irte: Schema.Array(IrteOpInput),
  "pasid-teardown": Schema.Array(TeardownOpInput),
  "pasid-update": Schema.Array(PasidUpdateOpInput),
  "guest-queue": RecordedGuestQueueProgram,
  release: Schema.Array(ReleaseOpInput),
  reset: Schema.Array(ResetOpInput),
  "flush-queue": Schema.Array(FlushQueueOpInput),
}).annotate({
  description:
    "The program of every procedure as the run resolved it (the scenario's own, else its knobs' presets); replay runs these",
})

/** Recorded programs: every procedure's program, as `procedures` writes it (a `ProceduresInput`). */
export type RecordedPrograms = typeof RecordedProgramsSchema.Type

/** The program of every procedure, with every operation's parameters. */
export interface Programs {
  readonly unmap: ReadonlyArray<UnmapOp>
  readonly irte: ReadonlyArray<IrteOp>
  readonly pasidTeardown: ReadonlyArray<TeardownOp>
  readonly pasidUpdate: ReadonlyArray<PasidUpdateOp>
  readonly guestQueue: GuestQueueProgram
  readonly release: ReadonlyArray<ReleaseOp>
  readonly reset: ReadonlyArray<ResetOp>
  readonly flushQueue: ReadonlyArray<FlushQueueOp>
}

/** The knobs whose presets a given program replaces, by procedure. */
const PRESETTING: Readonly<Record<keyof ProceduresInput, ReadonlyArray<keyof PolicyInput>>> = {
  unmap: ["invalidationOrder", "atcInvalidation", "unmapFlush", "unmapFlushRange"],
  irte: [],
  "pasid-teardown": ["priDrainOnTeardown"],
  "pasid-update": [],
  "guest-queue": ["atcInvalidationUnderNesting", "amdAtcSynthesis"],
  release: ["releaseDomain", "releaseQuiesce", "releaseIrtes"],
  reset: [],
  "flush-queue": [],
}

/** The programs of a scenario: its own where given, else its knobs' presets. */
export const resolvePrograms = (policy: PolicyValues, procedures: ProceduresInput | undefined): Programs => ({
  unmap: procedures?.unmap?.map((o) => unmapOp(o, policy)) ?? unmapPreset(policy),
  irte: procedures?.irte?.map(irteOp) ?? IRTE_PRESET,
  pasidTeardown: procedures?.["pasid-teardown"]?.map((o) => teardownOp(o, policy)) ?? teardownPreset(policy),
  pasidUpdate: procedures?.["pasid-update"]?.map((o) => pasidUpdateOp(o, policy)) ?? pasidUpdatePreset(policy),
  guestQueue: guestQueueProgram(policy, procedures?.["guest-queue"]),
  release: procedures?.release?.map((o) => releaseOp(o, policy)) ?? releasePreset(policy),
  reset: procedures?.reset?.map(resetOp) ?? RESET_PRESET,
  flushQueue: procedures?.["flush-queue"]?.map((o) => flushQueueOp(o, policy)) ?? flushQueuePreset(policy),
})

/** An operation as a scenario writes it: its bare name when it has no parameters, else the object. */
const writtenOp = <O extends Op>(o: O): O | O["op"] => (Object.keys(o).length === 1 ? o.op : o)

/**
 * The programs as a counterexample file records them (`programs`): every procedure, every
 * parameter explicit, so `resolvePrograms(policy, recordedPrograms(p))` gives `p` back under any
 * policy.
 */
export const recordedPrograms = (p: Programs): RecordedPrograms => ({
  unmap: p.unmap.map(writtenOp),
  irte: p.irte.map(writtenOp),
  "pasid-teardown": p.pasidTeardown.map(writtenOp),
  "pasid-update": p.pasidUpdate.map(writtenOp),
  "guest-queue": {
    iotlb: p.guestQueue.iotlb.map(writtenOp),
    atc: p.guestQueue.atc.map(writtenOp),
    wait: p.guestQueue.wait.map(writtenOp),
  },
  release: p.release.map(writtenOp),
  reset: p.reset.map(writtenOp),
  "flush-queue": p.flushQueue.map(writtenOp),
})

/**
 * Why a scenario's procedures cannot be used (one line naming the procedure), or `undefined`: a
 * program that cannot run, or a program given beside a knob that presets the same procedure.
 */
export const proceduresError = (input: PolicyInput, procedures: ProceduresInput | undefined): string | undefined => {
  if (procedures === undefined) return undefined
  for (const [name, knobs] of Object.entries(PRESETTING) as Array<[keyof ProceduresInput, ReadonlyArray<string>]>) {
    if (procedures[name] === undefined) continue
    const clash = knobs.find((k) => (input as Record<string, unknown>)[k] !== undefined)
    if (clash !== undefined)
      return `procedures.${name} is given, and so is the knob policy.${clash} that presets it: keep one`
  }
  return programsError(input, procedures, "procedures")
}

/**
 * Why programs cannot run (one line naming the procedure and the entry), or `undefined`. Unlike
 * `proceduresError` it does not ask whether a knob presets the same procedure: a counterexample
 * file's recorded `programs` stand beside the knobs they were resolved from. `field` names the
 * programs in the message (`procedures.unmap: …`, `programs.unmap: …`).
 */
export const programsError = (
  input: PolicyInput,
  procedures: ProceduresInput,
  field: "procedures" | "programs",
): string | undefined => {
  const policy = resolvePolicy(input)
  const checks: ReadonlyArray<[string, string | undefined]> = [
    [
      "unmap",
      procedures.unmap === undefined ? undefined : unmapProgramError(procedures.unmap.map((o) => unmapOp(o, policy))),
    ],
    ["irte", procedures.irte === undefined ? undefined : irteProgramError(procedures.irte.map(irteOp))],
    [
      "pasid-teardown",
      procedures["pasid-teardown"] === undefined
        ? undefined
        : teardownProgramError(procedures["pasid-teardown"].map((o) => teardownOp(o, policy))),
    ],
    [
      "pasid-update",
      procedures["pasid-update"] === undefined
        ? undefined
        : pasidUpdateProgramError(procedures["pasid-update"].map((o) => pasidUpdateOp(o, policy))),
    ],
    [
      "release",
      procedures.release === undefined
        ? undefined
        : releaseProgramError(procedures.release.map((o) => releaseOp(o, policy))),
    ],
    ["reset", procedures.reset === undefined ? undefined : resetProgramError(procedures.reset.map(resetOp))],
    [
      "flush-queue",
      procedures["flush-queue"] === undefined
        ? undefined
        : flushQueueProgramError(procedures["flush-queue"].map((o) => flushQueueOp(o, policy))),
    ],
  ]
  for (const [name, error] of checks) if (error !== undefined) return `${field}.${name}: ${error}`
  return undefined
}

/** The Programs service `step` reads the procedures' programs from. */
export class ProgramsService extends Context.Service<ProgramsService, Programs>()("iovcheck/model/Programs") {}

/** The name a scenario's `procedures` gives each procedure kind in flight. */
export const PROCEDURE_NAMES: Readonly<Record<Procedure["_tag"], keyof ProceduresInput>> = {
  Unmap: "unmap",
  ProgramIrte: "irte",
  PasidTeardown: "pasid-teardown",
  PasidEntryUpdate: "pasid-update",
  GuestInvalidation: "guest-queue",
  Release: "release",
  Reset: "reset",
  FlushQueue: "flush-queue",
}

/** A program as one line (the guest queue's: per descriptor kind). */
export const describeProgram = (programs: Programs, name: keyof ProceduresInput): string => {
  switch (name) {
    case "unmap":
      return formatProgram(programs.unmap)
    case "irte":
      return formatProgram(programs.irte)
    case "pasid-teardown":
      return formatProgram(programs.pasidTeardown)
    case "pasid-update":
      return formatProgram(programs.pasidUpdate)
    case "release":
      return formatProgram(programs.release)
    case "reset":
      return formatProgram(programs.reset)
    case "flush-queue":
      return formatProgram(programs.flushQueue)
    case "guest-queue": {
      const q = programs.guestQueue
      const list = (ops: ReadonlyArray<Op>) => (ops.length === 0 ? "(nothing)" : formatProgram(ops))
      return `Iotlb: ${list(q.iotlb)}; Atc: ${list(q.atc)}; Wait: ${list(q.wait)}`
    }
  }
}

/** The program a procedure in flight runs (a guest queue's is the descriptors it holds). */
export const programOf = (programs: Programs, p: Procedure): ReadonlyArray<Op> => {
  switch (p._tag) {
    case "Unmap":
      return programs.unmap
    case "ProgramIrte":
      return programs.irte
    case "PasidTeardown":
      return programs.pasidTeardown
    case "PasidEntryUpdate":
      return programs.pasidUpdate
    case "Release":
      return programs.release
    case "Reset":
      return programs.reset
    case "FlushQueue":
      return programs.flushQueue
    case "GuestInvalidation":
      return p.program.map((d) => ({ op: d._tag }))
  }
}

/**
 * Where a procedure in flight stands: `unmap:vm1:0x1000 at 3/5, next wait-atc`; a guest queue
 * names the descriptors it still holds.
 */
export const describePosition = (programs: Programs, p: Procedure): string => {
  if (p._tag === "GuestInvalidation") return `${p.pid} holds ${p.program.map((d) => d._tag).join(", ")}`
  const ops = programOf(programs, p)
  const next = ops[p.pc]
  return `${p.pid} at ${p.pc + 1}/${ops.length}, next ${next === undefined ? "?" : formatOp(next)}`
}
