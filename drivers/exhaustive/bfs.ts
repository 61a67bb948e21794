/**
 * The exhaustive driver (DESIGN.md §5): breadth-first search over every enabled command from the
 * initial state, to a depth bound or a state budget, deduplicating states by 64-bit fingerprint
 * and checking every property on every transition. BFS order makes the first violation found for a
 * property a shortest counterexample for it, so the search stops as soon as every property has
 * one, in the middle of a level if need be (a search for shortest counterexamples then skips the
 * rest of the deepest, largest level). Generic over the model, so the same code explores
 * iovcheck scenarios (`iovcheck-model.ts`) and the two-phase-commit calibration model.
 *
 * @module
 */
import type { Fingerprint } from "./fingerprint.ts"
import { FingerprintSet, optimisticCollisionProbability } from "./fingerprint-set.ts"
import { Frontier, levelStore } from "./frontier.ts"

/** A violation found on a transition: the property id and a message with the values. */
export interface ModelViolation {
  readonly property: string
  readonly message: string
}

/** A successor: the next state (`undefined` when the model died) and the violations of the transition. */
export interface Successor<S> {
  readonly state: S | undefined
  readonly violations: ReadonlyArray<ModelViolation>
}

/**
 * Which checks of the state reached a transition needs (see {@link ExplorableModel.check}):
 * - `"all"`: the state is reached for the first time: well-formedness, then every property;
 * - `"properties"`: a self-loop of the initial state (reached by no transition before): every
 *   property, no well-formedness (a transition that changes nothing is not checked for it);
 * - `"none"`: a state reached before (or a self-loop of one): the checks of the state alone gave
 *   their result on the transition that first reached it, which BFS explored first.
 */
export type StateChecks = "all" | "properties" | "none"

/** What `check` found: a broken state (a model defect: the state is not stored), or the violations. */
export interface Checked {
  readonly defect?: ModelViolation
  readonly violations: ReadonlyArray<ModelViolation>
}

/**
 * What the explorer needs of a model. `enabled` must be deterministic for equal states; `next`
 * may return the very same state object for a transition that changes nothing (a self-loop, which
 * the explorer then need not fingerprint).
 *
 * Checking is in one of two ways. Without `check`, `next` returns every violation of the
 * transition. With `check`, `next` only runs the command (its `violations` say only why the model
 * died, if it did) and the explorer calls `check` once the successor is known to be new or not, so
 * checks that depend on the state reached alone (well-formedness, properties of the state) run once
 * per distinct state instead of once per transition, with the same first violation of each property
 * in BFS order.
 */
export interface ExplorableModel<S, C> {
  readonly initial: S
  readonly enabled: (state: S) => ReadonlyArray<C>
  readonly next: (state: S, command: C) => Successor<S>
  readonly check?: (before: S, command: C, successor: Successor<S>, stateChecks: StateChecks) => Checked
  readonly fingerprint: (state: S) => Fingerprint
  /**
   * How many properties `next` (or `check`) checks: the search stops once each has a counterexample.
   * Model defects (a transition that kills the model, a broken state) are not properties.
   */
  readonly propertyCount: number
}

/** Bounds of a search: depth in commands, and a budget of distinct states. */
export interface ExploreOptions {
  readonly depth: number
  readonly maxStates: number
  /** Milliseconds since an origin; the CLI passes `performance.now`. */
  readonly now: () => number
  /** Stop when `now()` passes this (the level in progress does not count as completed). */
  readonly deadline?: number
  /** Checked with the deadline (every 1024 transitions): stop when it returns true (a signal). */
  readonly shouldStop?: () => boolean
  /** Called about every `progressMs` (default 250) while the search runs, for a progress line. */
  readonly onProgress?: (p: ExploreProgress) => void
  readonly progressMs?: number
}

/** Where a search is, for a progress line. */
export interface ExploreProgress {
  /** The depth being explored. */
  readonly depth: number
  readonly distinctStates: number
  readonly elapsedMs: number
}

/** A shortest counterexample: the commands from the initial state to the violating transition. */
export interface ShortestViolation<C> extends ModelViolation {
  readonly commands: ReadonlyArray<C>
  /** Milliseconds from the start of the search to the transition that violated it (one thread only). */
  readonly foundMs?: number
}

/** Why the search stopped. */
export type StopReason =
  | "depth" // the depth bound was reached
  | "max-states" // the state budget ran out inside a level
  | "exhausted" // no new state: every reachable state was explored
  | "all-violated" // every property has a shortest counterexample (its level is left, or not counted)
  | "time" // the deadline passed inside a level
  | "interrupted" // `shouldStop` said so inside a level

/** What a search covered and found. */
export interface ExploreResult<C> {
  readonly distinctStates: number
  readonly transitions: number
  /** Levels explored completely: every trace of at most this many commands was checked. */
  readonly depthCompleted: number
  readonly stoppedBy: StopReason
  readonly elapsedMs: number
  readonly violations: ReadonlyArray<ShortestViolation<C>>
  /** TLC's two estimates of the probability that a fingerprint collision hid a state. */
  readonly collisionProbability: { readonly optimistic: number; readonly actual: number }
  /** Bytes of fingerprint table and parent pointers per distinct state. */
  readonly bytesPerState: number
  /**
   * Distinct states first reached at each completed depth: `[1, n1, n2, …]` (index 0 is the
   * initial state), `depthCompleted + 1` entries.
   */
  readonly statesPerDepth: ReadonlyArray<number>
}

const growInt32 = (a: Int32Array, n: number): Int32Array => {
  if (n < a.length) return a
  const b = new Int32Array(a.length * 2)
  b.set(a)
  return b
}

/** Explores `model` breadth-first within the bounds. */
export const explore = <S, C>(model: ExplorableModel<S, C>, options: ExploreOptions): ExploreResult<C> => {
  const started = options.now()
  const seen = new FingerprintSet()
  let parent: Int32Array = new Int32Array(1 << 16)
  let choice: Int32Array = new Int32Array(1 << 16)
  seen.add(model.fingerprint(model.initial))
  parent[0] = -1
  const found = new Map<
    string,
    { readonly from: number; readonly choice: number; readonly violation: ModelViolation; readonly foundMs: number }
  >()
  const check = model.check
  // Properties with a counterexample; model defects (a dying transition, a broken state) are not
  // properties and do not count.
  let violatedProperties = 0
  const record = (violations: ReadonlyArray<ModelViolation>, from: number, k: number, defects = false): void => {
    for (const v of violations)
      if (!found.has(v.property)) {
        found.set(v.property, { from, choice: k, violation: v, foundMs: options.now() - started })
        if (!defects) violatedProperties++
      }
  }
  // Every property has a shortest counterexample: the rest of the level cannot shorten one.
  const allFound = (): boolean => violatedProperties >= model.propertyCount
  let frontier = Frontier.of<S, C>([model.initial], [0])
  let transitions = 0
  let depthCompleted = 0
  // With no property to check, every property is violated before the first transition.
  let stoppedBy: StopReason = allFound() ? "all-violated" : "depth"
  const statesPerDepth: Array<number> = [1]
  let reported = started
  search: for (let d = 1; d <= options.depth && stoppedBy === "depth"; d++) {
    const store = levelStore(d, options.depth)
    // Only a level of references keeps its parent level alive.
    const nextFrontier = store === "references" ? new Frontier<S, C>(frontier, model) : new Frontier<S, C>()
    let newStates = 0
    for (let f = 0; f < frontier.size; f++) {
      const state = frontier.state(f)
      const from = frontier.ids[f] as number
      const commands = model.enabled(state)
      for (let k = 0; k < commands.length; k++) {
        if (allFound()) {
          stoppedBy = "all-violated"
          break search
        }
        transitions++
        if ((transitions & 1023) === 0) {
          if (options.onProgress !== undefined) {
            const now = options.now()
            if (now - reported >= (options.progressMs ?? 250)) {
              reported = now
              options.onProgress({ depth: d, distinctStates: seen.size, elapsedMs: now - started })
            }
          }
          if (options.deadline !== undefined && options.now() > options.deadline) {
            stoppedBy = "time"
            break search
          }
          if (options.shouldStop?.() === true) {
            stoppedBy = "interrupted"
            break search
          }
        }
        const command = commands[k] as C
        const successor = model.next(state, command)
        const after = successor.state
        if (check === undefined) {
          record(successor.violations, from, k, after === undefined)
          if (after === undefined || after === state) continue
        } else if (after === undefined) {
          record(successor.violations, from, k, true)
          continue
        } else if (after === state) {
          record(check(state, command, successor, from === 0 ? "properties" : "none").violations, from, k)
          continue
        }
        const fp = model.fingerprint(after as S)
        if (check !== undefined) {
          const at = seen.indexOf(fp)
          // Transitions back into the initial state check it all: no transition reached it first.
          if (at > 0) {
            record(check(state, command, successor, "none").violations, from, k)
            continue
          }
          const checked = check(state, command, successor, "all")
          if (checked.defect !== undefined) {
            // A broken state is never stored: every transition into it is the defect again.
            record([checked.defect], from, k, true)
            continue
          }
          record(checked.violations, from, k)
          if (at === 0) continue
        }
        const { index, added } = seen.add(fp)
        if (!added) continue
        parent = growInt32(parent, index)
        choice = growInt32(choice, index)
        parent[index] = from
        choice[index] = k
        newStates++
        if (store === "states") nextFrontier.push(after as S, index)
        else if (store === "references") nextFrontier.pushReference(f, k, index)
        if (seen.size >= options.maxStates) {
          stoppedBy = "max-states"
          break search
        }
      }
    }
    // The level of the last property's shortest counterexample is not counted, complete or not
    // (a parallel search's threads may or may not finish it): depthCompleted is that length − 1.
    if (allFound()) {
      stoppedBy = "all-violated"
      break
    }
    depthCompleted = d
    statesPerDepth.push(newStates)
    if (newStates === 0) {
      stoppedBy = "exhausted"
      break
    }
    frontier = nextFrontier
  }
  // A budget that ran out with every property found stopped nothing left to find.
  if ((stoppedBy === "max-states" || stoppedBy === "time") && allFound()) stoppedBy = "all-violated"
  const pathTo = (index: number): Array<number> => {
    const choices: Array<number> = []
    for (let i = index; i > 0; i = parent[i] as number) choices.push(choice[i] as number)
    return choices.reverse()
  }
  const replayChoices = (choices: ReadonlyArray<number>): Array<C> => {
    const commands: Array<C> = []
    let state = model.initial
    for (const k of choices) {
      const c = model.enabled(state)[k] as C
      commands.push(c)
      const s = model.next(state, c).state
      if (s === undefined) break
      state = s
    }
    return commands
  }
  const violations = [...found.values()].map(({ from, choice: k, violation, foundMs }) => ({
    ...violation,
    commands: replayChoices([...pathTo(from), k]),
    foundMs,
  }))
  return {
    distinctStates: seen.size,
    transitions,
    depthCompleted,
    stoppedBy,
    elapsedMs: options.now() - started,
    violations,
    collisionProbability: {
      optimistic: optimisticCollisionProbability(seen.size, transitions + 1),
      actual: seen.actualCollisionEstimate(),
    },
    bytesPerState: (seen.bytes + parent.byteLength + choice.byteLength) / seen.size,
    statesPerDepth,
  }
}
