/**
 * A Function Level Reset of an assigned function through vfio (PCIe Base 6.0 §6.6.2; Linux
 * `VFIO_DEVICE_RESET` → `pci_try_reset_function`: `pci_dev_save_and_disable`, FLR after waiting
 * for pending transactions, `pci_dev_restore`), started by the guest (`GuestResetFunction`: its
 * driver's FLR, which vfio traps and performs) as a program; device traffic between any two
 * operations. The scenario's `procedures.reset` gives it.
 *
 * Operations:
 * - `clear-bme`: save the configuration (Bus Master Enable, MSI-X table) and clear Bus Master
 *   Enable (a configuration write: a locked TDI goes to ERROR).
 * - `wait-idle`: wait until no posted write of the function is in the fabric.
 * - `reset`: the FLR itself: ATC emptied, unanswered ATS Invalidate Requests discarded, outstanding
 *   page request groups forgotten (their page requests already queued in the IOMMU stay there and
 *   are routed as usual; a response the device no longer expects is dropped), MSI-X table masked; a
 *   TDI in CONFIG_LOCKED or RUN goes to ERROR (TDISP ECN §11.2.6). Exactly once.
 * - `restore-config`: write back the saved Bus Master Enable and MSI-X entries.
 * Default: `clear-bme → wait-idle → reset → restore-config`.
 *
 * @module
 */
import { Schema } from "effect"
import { defect } from "../defect.ts"
import type { Rid, VmId } from "../ids.ts"
import type { Message } from "../interrupt/message.ts"
import { ok, rejected, waiting } from "../outcome.ts"
import { writeFunctionConfig } from "../pcie/config-write.ts"
import { functionLevelReset } from "../pcie/flr.ts"
import { functionIndex } from "../pcie/function.ts"
import { countOps, opInput, opName } from "../program.ts"
import { type State, type StepContext, type StepResult, unchanged } from "../state.ts"
import { procedureByPid, putProcedure, removeProcedure } from "./host.ts"

/** Schema of one reset operation as a scenario writes it. */
export const ResetOpInput = Schema.Union([
  opInput("clear-bme", {}),
  opInput("wait-idle", {}),
  opInput("reset", {}),
  opInput("restore-config", {}),
]).annotate({ message: "Expected a reset operation: clear-bme, wait-idle, reset, restore-config" })

/** One reset operation. */
export type ResetOp = { readonly op: "clear-bme" | "wait-idle" | "reset" | "restore-config" }

/** A reset operation as data. */
export const resetOp = (written: typeof ResetOpInput.Type): ResetOp => ({ op: opName(written) as ResetOp["op"] })

/** Why a reset program cannot run (one line), or `undefined`. */
export const resetProgramError = (ops: ReadonlyArray<ResetOp>): string | undefined =>
  countOps(ops, "reset") !== 1 ? "must reset the function exactly once (one reset)" : undefined

/** The default program. */
export const RESET_PRESET: ReadonlyArray<ResetOp> = [
  { op: "clear-bme" },
  { op: "wait-idle" },
  { op: "reset" },
  { op: "restore-config" },
]

/** A reset in flight, with the configuration `clear-bme` saved. */
export interface ResetProcedure {
  readonly _tag: "Reset"
  readonly pid: string
  readonly rid: Rid
  readonly vm: VmId
  readonly pc: number
  readonly saved: { readonly bme: boolean; readonly msix: ReadonlyArray<Message | null> } | undefined
}

/** The pid of the reset of `rid`: `"reset:01:00.1"`. */
export const resetPid = (rid: Rid): string => `reset:${rid}`

/**
 * `GuestResetFunction { vm, rid }`: starts the reset and runs its first operation. Rejected unless
 * `rid` is a function assigned to `vm` with a reset method (topology `flr`: without one vfio's
 * `reset_works` is false and `VFIO_DEVICE_RESET` fails with -EINVAL) and no reset of it in flight.
 */
export const startReset = (ctx: StepContext, state: State, vm: VmId, rid: Rid): StepResult => {
  const fn = state.functions.find((f) => f.rid === rid)
  if (fn === undefined || fn.owner !== vm) return unchanged(state, rejected(`${rid} is not assigned to ${vm}`))
  if (fn.flr === false) return unchanged(state, rejected(`${rid} has no reset method: VFIO_DEVICE_RESET fails`))
  const pid = resetPid(rid)
  if (procedureByPid(state.host, pid) !== undefined) return unchanged(state, rejected(`${pid} already in flight`))
  const p: ResetProcedure = { _tag: "Reset", pid, rid, vm, pc: 0, saved: undefined }
  return advanceReset(ctx, { ...state, host: putProcedure(state.host, p) }, p)
}

/** Runs the operation at `pc` of a reset; the last one ends it. */
export const advanceReset = (ctx: StepContext, state: State, p: ResetProcedure): StepResult => {
  const program = ctx.programs.reset
  const next = program[p.pc]
  const done = (s: State, events: StepResult["events"], q: ResetProcedure = p): StepResult => ({
    state: {
      ...s,
      host: p.pc + 1 < program.length ? putProcedure(s.host, { ...q, pc: p.pc + 1 }) : removeProcedure(s.host, p.pid),
    },
    outcome: ok,
    events,
  })
  const index = functionIndex(state.functions, p.rid)
  const fn = state.functions[index]
  if (next === undefined || fn === undefined) return defect(`${p.pid} has no operation at pc ${p.pc}`)
  const present = fn.link !== "removed"
  switch (next.op) {
    case "clear-bme": {
      const saved = { bme: fn.bme, msix: fn.msix }
      if (!present || !fn.bme) return done(state, [], { ...p, saved })
      const w = writeFunctionConfig(ctx, state, p.rid, (f) => ({ ...f, bme: false }))
      return done(w.state, [{ _tag: "BmeWritten", rid: p.rid, enable: false }, ...w.events], { ...p, saved })
    }
    case "wait-idle":
      return fn.posted.length > 0
        ? unchanged(state, waiting(`${p.rid} still has ${fn.posted.length} posted write(s) in flight`))
        : done(state, [{ _tag: "FunctionIdle", rid: p.rid }])
    case "reset": {
      const r = functionLevelReset(state, p.rid)
      return done(r.state, r.events)
    }
    case "restore-config": {
      if (!present || p.saved === undefined) return done(state, [])
      const saved = p.saved
      const w = writeFunctionConfig(ctx, state, p.rid, (f) => ({ ...f, bme: saved.bme, msix: saved.msix }))
      return done(w.state, [{ _tag: "ConfigRestored", rid: p.rid }, ...w.events])
    }
  }
}
