/**
 * The VMM programming a guest's interrupt (seed thread 000; Linux `vfio_pci_intrs.c` and
 * `intel_irq_remapping.c`): for a vector the guest set up on an MSI-X or IMS entry of an interface
 * assigned to it, the host writes an IRTE (destination = the guest, the guest's vector, SID = the
 * interface's RID, the policy's SID validation, and with PASID-tagged interrupts the ADI's PASID),
 * invalidates the IEC for that handle, then writes the remappable handle into the physical entry.
 * A process with a program counter: the device may raise interrupts between any two steps.
 *
 * Steps: `write-irte` (run by the command that starts it), `invalidate-iec` (VT-d 4.x §6.5.2.7
 * interrupt entry cache invalidation, with its wait), `write-entry`. An entry that already holds a
 * handle of this guest's IRTE reuses it (modified in place); otherwise the lowest free IRTE is
 * taken. With interrupt remapping off there is no IRTE: the host writes a compatibility-format
 * message for the guest in one step.
 *
 * @module
 */
import type { VmId } from "../ids.ts"
import { freeHandle, invalidateIec, type Irte, writeIrte } from "../iommu/interrupt-remapping.ts"
import { ok, rejected } from "../outcome.ts"
import { writeInterruptEntry } from "../pcie/interrupt-store.ts"
import { requesterOf } from "../pcie/requester.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** A step of the IRTE programming after `write-irte`. */
export type IrteStep = "invalidate-iec" | "write-entry"

/** An IRTE programming in flight. */
export interface IrteProcedure {
  readonly _tag: "ProgramIrte"
  readonly pid: string
  readonly vm: VmId
  readonly iface: string
  readonly entry: number
  readonly handle: number
  readonly program: ReadonlyArray<IrteStep>
  readonly pc: number
}

/** The pid of the programming of (`iface`, `entry`): `"irte:adi1:0"`. */
export const irtePid = (iface: string, entry: number): string => `irte:${iface}:${entry}`

/**
 * `GuestRequestInterrupt { vm, iface, entry, vector }`: starts the programming and runs
 * `write-irte`. Rejected when the interface is not the VM's, the entry does not exist, a
 * programming of the entry is in flight, the vector is out of range, or the IRT is full.
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
    ir.irt[current.handle]?.sid === r.rid &&
    !state.host.procedures.some((p) => p._tag === "ProgramIrte" && p.handle === current.handle)
  const handle = reusable ? current.handle : freeHandle(ir)
  if (handle === undefined) return unchanged(state, rejected("interrupt remapping table full"))
  const irte: Irte = {
    dest: vm,
    vector,
    sid: r.rid,
    svt: ctx.policy.sidValidation,
    pasid: ctx.policy.interruptPasid === "tagged" ? r.pasid : undefined,
  }
  const procedure: IrteProcedure = {
    _tag: "ProgramIrte",
    pid,
    vm,
    iface,
    entry,
    handle,
    program: ["invalidate-iec", "write-entry"],
    pc: 0,
  }
  return {
    state: {
      ...state,
      iommu: { ...state.iommu, interrupts: writeIrte(ir, handle, irte) },
      host: putProcedure(state.host, procedure),
    },
    outcome: ok,
    events: [{ _tag: "IrteWritten", handle, irte }],
  }
}

/** Runs `program[pc]` of an IRTE programming. */
export const advanceIrteProgramming = (ctx: StepContext, state: State, p: IrteProcedure): StepResult => {
  const next = p.program[p.pc]
  if (next === "invalidate-iec")
    return {
      state: {
        ...state,
        iommu: { ...state.iommu, interrupts: invalidateIec(state.iommu.interrupts, p.handle) },
        host: putProcedure(state.host, { ...p, pc: p.pc + 1 }),
      },
      outcome: ok,
      events: [{ _tag: "IecInvalidated", handle: p.handle }],
    }
  const message = { _tag: "Remappable" as const, handle: p.handle }
  const written = writeInterruptEntry(ctx, state, p.iface, p.entry, message) ?? { state, events: [] }
  return {
    state: { ...written.state, host: removeProcedure(written.state.host, p.pid) },
    outcome: ok,
    events: [{ _tag: "InterruptEntryWritten", iface: p.iface, entry: p.entry, message, by: "host" }, ...written.events],
  }
}
