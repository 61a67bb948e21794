/**
 * The host's software state: the multi-step procedures in flight (DESIGN.md §2, "a software
 * procedure that real systems run as several steps is a process with a program counter").
 *
 * @module
 */
import type { IrteProcedure } from "./irte-programming.ts"
import type { UnmapProcedure } from "./unmap.ts"

/** A host procedure in flight. */
export type Procedure = UnmapProcedure | IrteProcedure

/** The host's state. */
export interface Host {
  /** Sorted by `pid`; a pid is derived from the procedure's key, so equal states have equal pids. */
  readonly procedures: ReadonlyArray<Procedure>
}

/** The procedure with `pid`, if it is in flight. */
export const procedureByPid = (host: Host, pid: string): Procedure | undefined =>
  host.procedures.find((p) => p.pid === pid)

/** Adds or replaces a procedure (by pid). */
export const putProcedure = (host: Host, p: Procedure): Host => ({
  procedures: [...host.procedures.filter((q) => q.pid !== p.pid), p].sort((a, b) => (a.pid < b.pid ? -1 : 1)),
})

/** Removes a finished procedure. */
export const removeProcedure = (host: Host, pid: string): Host => ({
  procedures: host.procedures.filter((p) => p.pid !== pid),
})
