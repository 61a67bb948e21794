/**
 * The host's software state: the multi-step procedures in flight (DESIGN.md §2, "a software
 * procedure that real systems run as several steps is a process with a program counter").
 *
 * @module
 */
import type { GuestInvalidation } from "../nesting/guest-invalidation.ts"
import type { FlushQueueProcedure, QueuedFlush } from "./flush-queue.ts"
import type { PasidPriBits } from "../pcie/pasid-pri.ts"
import type { IrteProcedure } from "./irte-programming.ts"
import type { PasidEntryUpdate } from "./pasid-entry-update.ts"
import type { PasidTeardown } from "./pasid-teardown.ts"
import type { ReleaseProcedure } from "./release.ts"
import type { ResetProcedure } from "./reset.ts"
import type { UnmapProcedure } from "./unmap.ts"
import { compareText, putByKey } from "../keyed.ts"

/** A host procedure in flight. */
export type Procedure =
  | UnmapProcedure
  | IrteProcedure
  | PasidTeardown
  | PasidEntryUpdate
  | GuestInvalidation
  | ReleaseProcedure
  | ResetProcedure
  | FlushQueueProcedure

/**
 * vfio's emulated PASID/PRI capability of one VF: which features it shows as supported (those its
 * PF had enabled when the VF was assigned) and the control bits the guest wrote.
 */
export interface VirtualCap {
  readonly rid: string
  readonly supported: PasidPriBits
  readonly bits: PasidPriBits
}

/** The host's state. */
export interface Host {
  /** Sorted by `pid`; a pid is derived from the procedure's key, so equal states have equal pids. */
  readonly procedures: ReadonlyArray<Procedure>
  /**
   * vfio's emulated PASID/PRI capability of each assigned VF (`vfPasidCap: "emulated-*"`), sorted
   * by RID: the bits the guest wrote and reads back (seed thread 002).
   */
  readonly vcaps: ReadonlyArray<VirtualCap>
  /** IOVAs unmapped with a deferred flush, waiting for the next batch (`flush-queue.ts`), sorted by (VM, IOVA). */
  readonly flushQueue: ReadonlyArray<QueuedFlush>
}

/** The procedure with `pid`, if it is in flight. */
export const procedureByPid = (host: Host, pid: string): Procedure | undefined =>
  host.procedures.find((p) => p.pid === pid)

const byPid = (a: Procedure, b: Procedure): number => compareText(a.pid, b.pid)

/** Adds or replaces a procedure (by pid). */
export const putProcedure = (host: Host, p: Procedure): Host => ({
  ...host,
  procedures: putByKey(host.procedures, p, byPid),
})

/** Removes a finished procedure. */
export const removeProcedure = (host: Host, pid: string): Host => ({
  ...host,
  procedures: host.procedures.filter((p) => p.pid !== pid),
})
