/**
 * The two-phase-commit model of the TLA+ examples (Lamport, `TwoPhase.tla`, checked against
 * `TCommit`; also stateright's `2pc` example), as a calibration fixture of the exhaustive explorer:
 * its distinct-state counts are published (288 for 3 resource managers, 8,832 for 5, 296,448 for 7).
 *
 * State, packed into one integer for speed (n resource managers, n ≤ 8):
 * - bits 0..2n-1: rmState[i] in 2 bits (0 working, 1 prepared, 2 committed, 3 aborted);
 * - bit 2n: tmState (0 init, 1 done);
 * - bits 2n+1..3n: tmPrepared as a set;
 * - bits 3n+1..4n: the "Prepared" messages sent, as a set of RMs;
 * - bit 4n+1: the "Commit" message sent; bit 4n+2: the "Abort" message sent.
 *
 * Actions (TwoPhase.tla): TMRcvPrepared(rm), TMCommit, TMAbort, RMPrepare(rm),
 * RMChooseToAbort(rm), RMRcvCommitMsg(rm), RMRcvAbortMsg(rm). Invariant TCConsistent: no RM is
 * committed while another is aborted.
 *
 * @module
 */
import type { ExplorableModel, Successor } from "./bfs.ts"
import { fingerprintInteger } from "./fingerprint.ts"

/** An action of TwoPhase.tla with its RM (or -1 for the TM's TMCommit/TMAbort). */
export interface TwoPhaseAction {
  readonly action:
    | "TMRcvPrepared"
    | "TMCommit"
    | "TMAbort"
    | "RMPrepare"
    | "RMChooseToAbort"
    | "RMRcvCommitMsg"
    | "RMRcvAbortMsg"
  readonly rm: number
}

const WORKING = 0
const PREPARED = 1
const COMMITTED = 2
const ABORTED = 3

/** The TwoPhase model with `n` resource managers (1 ≤ n ≤ 8). */
export const twoPhaseCommit = (n: number): ExplorableModel<number, TwoPhaseAction> => {
  const tm = 1 << (2 * n)
  const prep = (i: number) => 1 << (2 * n + 1 + i)
  const msgPrepared = (i: number) => 2 ** (3 * n + 1 + i)
  const msgCommit = 2 ** (4 * n + 1)
  const msgAbort = 2 ** (4 * n + 2)
  const allPrepared = ((1 << n) - 1) << (2 * n + 1)
  const has = (s: number, bit: number) => Math.floor(s / bit) % 2 === 1
  const rm = (s: number, i: number) => (s >>> (2 * i)) & 3
  const setRm = (s: number, i: number, v: number) => s - rm(s, i) * 4 ** i + v * 4 ** i
  const consistent = (s: number): boolean => {
    let committed = false
    let aborted = false
    for (let i = 0; i < n; i++) {
      committed ||= rm(s, i) === COMMITTED
      aborted ||= rm(s, i) === ABORTED
    }
    return !(committed && aborted)
  }
  const enabled = (s: number): Array<TwoPhaseAction> => {
    const out: Array<TwoPhaseAction> = []
    const tmInit = !has(s, tm)
    for (let i = 0; i < n; i++) if (tmInit && has(s, msgPrepared(i))) out.push({ action: "TMRcvPrepared", rm: i })
    if (tmInit && (s & allPrepared) === allPrepared) out.push({ action: "TMCommit", rm: -1 })
    if (tmInit) out.push({ action: "TMAbort", rm: -1 })
    for (let i = 0; i < n; i++) {
      if (rm(s, i) === WORKING) out.push({ action: "RMPrepare", rm: i }, { action: "RMChooseToAbort", rm: i })
      if (has(s, msgCommit)) out.push({ action: "RMRcvCommitMsg", rm: i })
      if (has(s, msgAbort)) out.push({ action: "RMRcvAbortMsg", rm: i })
    }
    return out
  }
  const apply = (s: number, a: TwoPhaseAction): number => {
    switch (a.action) {
      case "TMRcvPrepared":
        return s | prep(a.rm)
      case "TMCommit":
        return (s | tm) + (has(s, msgCommit) ? 0 : msgCommit)
      case "TMAbort":
        return (s | tm) + (has(s, msgAbort) ? 0 : msgAbort)
      case "RMPrepare":
        return setRm(s, a.rm, PREPARED) + (has(s, msgPrepared(a.rm)) ? 0 : msgPrepared(a.rm))
      case "RMChooseToAbort":
        return setRm(s, a.rm, ABORTED)
      case "RMRcvCommitMsg":
        return setRm(s, a.rm, COMMITTED)
      case "RMRcvAbortMsg":
        return setRm(s, a.rm, ABORTED)
    }
  }
  return {
    initial: 0,
    enabled,
    next: (s, a): Successor<number> => {
      const state = apply(s, a)
      return {
        state,
        violations: consistent(state)
          ? []
          : [{ property: "TCConsistent", message: "an RM committed while another aborted" }],
      }
    },
    fingerprint: fingerprintInteger,
    propertyCount: 1,
  }
}
