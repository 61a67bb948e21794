/**
 * The VMM programming a guest's interrupt (seed thread 000; Linux `vfio_pci_intrs.c` and
 * `intel_irq_remapping.c`) as a program: for a vector the guest set up on an MSI-X or IMS entry of
 * an interface assigned to it, the host writes an IRTE (destination = the guest, the guest's
 * vector, SID = the interface's RID, the policy's SID validation, and with PASID-tagged interrupts
 * the ADI's PASID), invalidates the IEC for that handle, then writes the remappable handle into the
 * physical entry. `GuestRequestInterrupt` starts it and runs the first operation; the device may
 * raise interrupts between any two. The scenario's `procedures.irte` gives the program.
 *
 * Operations:
 * - `write-irte`: write the IRTE of the procedure's handle. Exactly once.
 * - `invalidate-iec { scope: "index" | "global" }`: interrupt entry cache invalidation of the handle
 *   or of every handle, with its wait (VT-d 4.x §6.5.2.7; AMD INVALIDATE_INTERRUPT_TABLE is per
 *   device). Default `index`.
 * - `write-entry`: write the remappable handle into the MSI-X/IMS entry (a configuration write of
 *   a function's MSI-X table, `pcie/config-write.ts`). Exactly once.
 * Default (and only preset): `write-irte → invalidate-iec → write-entry`.
 *
 * The handle is chosen when the programming starts: an entry that already holds a handle of this
 * guest's IRTE for the same RID reuses it (modified in place); otherwise the lowest handle that is
 * neither present nor held by another programming in flight. With interrupt remapping off there is
 * no IRTE: the host writes a compatibility-format message for the guest in one step.
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import type { VmId } from "../ids.ts"
import { invalidateIec, type Irte, writeIrte } from "../iommu/interrupt-remapping.ts"
import { ok, rejected } from "../outcome.ts"
import { writeInterruptEntry } from "../pcie/interrupt-store.ts"
import { requesterOf } from "../pcie/requester.ts"
import { countOps, opInput, opName, opParams } from "../program.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** Schema of one IRTE-programming operation as a scenario writes it. */
export const IrteOpInput = Schema.Union([
  opInput("write-irte", {}),
  opInput("invalidate-iec", { scope: Schema.optionalKey(Schema.Literals(["index", "global"])) }),
  opInput("write-entry", {}),
]).annotate({
  message: "Expected an IRTE programming operation: write-irte, invalidate-iec {scope: index|global}, write-entry",
})

/** One IRTE-programming operation with every parameter. */
export type IrteOp =
  | { readonly op: "write-irte" }
  | { readonly op: "invalidate-iec"; readonly scope: "index" | "global" }
  | { readonly op: "write-entry" }

/** An IRTE-programming operation with its defaults filled in. */
export const irteOp = (written: typeof IrteOpInput.Type): IrteOp =>
  opName(written) === "invalidate-iec"
    ? { op: "invalidate-iec", scope: (opParams(written).scope as "index" | "global" | undefined) ?? "index" }
    : { op: opName(written) as "write-irte" | "write-entry" }

/** Why an IRTE-programming program cannot run (one line), or `undefined`. */
export const irteProgramError = (ops: ReadonlyArray<IrteOp>): string | undefined =>
  countOps(ops, "write-irte") !== 1
    ? "must write the IRTE exactly once (one write-irte)"
    : countOps(ops, "write-entry") !== 1
      ? "must write the interrupt entry exactly once (one write-entry)"
      : undefined

/** The default program: the order VFIO and the IRQ remapping driver use. */
export const IRTE_PRESET: ReadonlyArray<IrteOp> = [
  { op: "write-irte" },
  { op: "invalidate-iec", scope: "index" },
  { op: "write-entry" },
]

/** An IRTE programming in flight: `pc` indexes the scenario's IRTE program. */
export interface IrteProcedure {
  readonly _tag: "ProgramIrte"
  readonly pid: string
  readonly vm: VmId
  readonly iface: string
  readonly entry: number
  readonly vector: number
  readonly handle: number
  readonly pc: number
}

/** The pid of the programming of (`iface`, `entry`): `"irte:adi1:0"`. */
export const irtePid = (iface: string, entry: number): string => `irte:${iface}:${entry}`

/** The lowest handle whose IRTE is not present and that no programming in flight holds. */
const freeHandle = (state: State): number | undefined => {
  const held = new Set(state.host.procedures.flatMap((p) => (p._tag === "ProgramIrte" ? [p.handle] : [])))
  const i = state.iommu.interrupts.irt.findIndex((e, handle) => e === null && !held.has(handle))
  return i < 0 ? undefined : i
}

/**
 * `GuestRequestInterrupt { vm, iface, entry, vector }`: starts the programming and runs its first
 * operation. Rejected when the interface is not the VM's, the entry does not exist, a programming
 * of the entry is in flight, the vector is out of range, or the IRT is full.
 */
export const startIrteProgramming = (
  ctx: StepContext,
  state: State,
  vm: VmId,
  iface: string,
  entry: number,
  vector: number,
): StepResult => {
  const r = requesterOf(state, ctx.policy, iface)
  if (r === undefined || r.owner !== vm) return unchanged(state, rejected(`${iface} is not assigned to ${vm}`))
  if (entry >= r.entries.length) return unchanged(state, rejected(`${iface} has no interrupt entry ${entry}`))
  if (vector < 0 || vector >= state.vectors) return unchanged(state, rejected(`vector ${vector} out of range`))
  const pid = irtePid(iface, entry)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  if (ctx.policy.interruptRemapping === "off") {
    const message = { _tag: "Compatibility" as const, dest: vm, vector }
    const written = writeInterruptEntry(ctx, state, iface, entry, message)
    if (written === undefined) return unchanged(state, rejected(`${iface} has no interrupt entry ${entry}`))
    return {
      state: written.state,
      outcome: ok,
      events: [{ _tag: "InterruptEntryWritten", iface, entry, message, by: "host" }, ...written.events],
    }
  }
  const ir = state.iommu.interrupts
  const current = r.entries[entry]
  const reusable =
    current?._tag === "Remappable" &&
    ir.irt[current.handle]?.dest === vm &&
    ir.irt[current.handle]?.sid === r.sid &&
    !state.host.procedures.some((p) => p._tag === "ProgramIrte" && p.handle === current.handle)
  const handle = reusable ? current.handle : freeHandle(state)
  if (handle === undefined) return unchanged(state, rejected("interrupt remapping table full"))
  const procedure: IrteProcedure = { _tag: "ProgramIrte", pid, vm, iface, entry, vector, handle, pc: 0 }
  return advanceIrteProgramming(ctx, { ...state, host: putProcedure(state.host, procedure) }, procedure)
}

/** Runs the operation at `pc` of an IRTE programming; the last one ends it. */
export const advanceIrteProgramming = (ctx: StepContext, state: State, p: IrteProcedure): StepResult => {
  const program = ctx.programs.irte
  const next = program[p.pc]
  const done = (s: State, events: StepResult["events"]): StepResult => ({
    state: {
      ...s,
      host: p.pc + 1 < program.length ? putProcedure(s.host, { ...p, pc: p.pc + 1 }) : removeProcedure(s.host, p.pid),
    },
    outcome: ok,
    events,
  })
  if (next === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  switch (next.op) {
    case "write-irte": {
      const r = requesterOf(state, ctx.policy, p.iface)
      if (r === undefined) return defect(`${p.pid}: no interface ${p.iface}`)
      const irte: Irte = {
        dest: p.vm,
        vector: p.vector,
        sid: r.sid,
        svt: ctx.policy.sidValidation,
        pasid: ctx.policy.interruptPasid === "tagged" ? r.pasid : undefined,
      }
      return done(
        { ...state, iommu: { ...state.iommu, interrupts: writeIrte(state.iommu.interrupts, p.handle, irte) } },
        [{ _tag: "IrteWritten", handle: p.handle, irte }],
      )
    }
    case "invalidate-iec": {
      const ir = state.iommu.interrupts
      const handles = next.scope === "index" ? [p.handle] : ir.iec.map((e) => e.handle)
      return done(
        { ...state, iommu: { ...state.iommu, interrupts: handles.reduce(invalidateIec, ir) } },
        next.scope === "index" ? [{ _tag: "IecInvalidated", handle: p.handle }] : [{ _tag: "IecInvalidated" }],
      )
    }
    case "write-entry": {
      const message = { _tag: "Remappable" as const, handle: p.handle }
      const written = writeInterruptEntry(ctx, state, p.iface, p.entry, message) ?? { state, events: [] }
      return done(written.state, [
        { _tag: "InterruptEntryWritten", iface: p.iface, entry: p.entry, message, by: "host" },
        ...written.events,
      ])
    }
  }
}
