/**
 * A search thread of the parallel explorer (`parallel-bfs.ts`): for each exploration it builds the
 * model from its spec (`Load`), expands its own frontier level by level as the coordinator says, inserts every new fingerprint
 * into the shared table, keeps the states it inserted first (with their parent pointers, in its
 * shared parent buffer), pauses when the table must grow, and gives or takes states to balance the
 * frontiers. The expansion of one transition is the single-threaded explorer's (`bfs.ts`).
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import type { ModelViolation } from "./bfs.ts"
import type { Fingerprint } from "./fingerprint.ts"
import { Frontier, type LevelStore } from "./frontier.ts"
import {
  type FoundViolation,
  type FromSearchWorker,
  loadModel,
  type SearchSetup,
  STOP,
  type ToSearchWorker,
} from "./parallel-bfs.ts"
import { SharedFingerprintTable } from "./shared-fingerprint-table.ts"

/** One exploration's search on this thread: the message handler for its model. */
type Search = (m: ToSearchWorker) => void

/** Builds the search of `setup`, posting to `port`. */
const load = async (port: NonNullable<typeof parentPort>, setup: SearchSetup): Promise<Search> => {
  const model = await loadModel<unknown, unknown>(setup.spec)
  const check = model.check
  const table = SharedFingerprintTable.attach(setup.table)
  const ctl = new Int32Array(setup.control)
  const parentsBuffer = setup.parents
  let parents = new Int32Array(parentsBuffer)
  const { worker, workers, maxStates } = setup
  const initialFp: Fingerprint = model.fingerprint(model.initial)
  const post = (m: FromSearchWorker): void => port.postMessage(m)

  // States this thread owns (local index i is global id i * workers + worker).
  let owned = 0
  const own = (parent: number, choice: number): number => {
    if (2 * owned + 2 > parents.length) {
      parentsBuffer.grow(Math.max(parentsBuffer.byteLength * 2, (2 * owned + 2) * 4))
      parents = new Int32Array(parentsBuffer)
    }
    parents[2 * owned] = parent
    parents[2 * owned + 1] = choice
    return owned++ * workers + worker
  }
  let frontier = worker === 0 ? Frontier.of([model.initial], [own(-1, 0)]) : new Frontier<unknown, unknown>()

  // The level in progress: where the expansion is (to resume after a pause) and what it found.
  let next = new Frontier<unknown, unknown>()
  let store: LevelStore = "states"
  let f = 0
  let k = 0
  let commands: ReadonlyArray<unknown> | undefined
  let added = 0
  let transitions = 0
  let known = new Set<string>()
  let found = new Map<string, FoundViolation>()
  const record = (violations: ReadonlyArray<ModelViolation>, from: number, choice: number, defect = false): void => {
    for (const v of violations)
      if (!known.has(v.property) && !found.has(v.property)) {
        const first: FoundViolation = { property: v.property, message: v.message, from, choice, defect }
        found.set(v.property, first)
        // At once, so the coordinator can stop every thread when all properties are found.
        if (!defect) post({ _tag: "Found", violation: first })
      }
  }

  const finishLevel = (): void => {
    post({ _tag: "LevelDone", added, transitions, found: [...found.values()], frontier: next.size })
    frontier = next
    next = new Frontier()
    f = 0
    k = 0
    commands = undefined
    added = 0
    transitions = 0
    found = new Map()
  }

  /** Expands the frontier from where it is; returns at the end of the level, a stop or a pause. */
  const expand = (): void => {
    for (; f < frontier.size; f++) {
      const state = frontier.state(f)
      const from = frontier.ids[f] as number
      if (commands === undefined) commands = model.enabled(state)
      for (; k < commands.length; k++) {
        if (Atomics.load(ctl, STOP) !== 0) {
          finishLevel()
          return
        }
        if (table.full) {
          post({ _tag: "Paused" })
          return
        }
        transitions++
        const command = commands[k]
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
        const fp = model.fingerprint(after)
        if (check !== undefined) {
          // Transitions back into the initial state check it all: no transition reached it first.
          const initial = fp.hi === initialFp.hi && fp.lo === initialFp.lo
          if (!initial && table.has(fp)) {
            record(check(state, command, successor, "none").violations, from, k)
            continue
          }
          const checked = check(state, command, successor, "all")
          if (checked.defect !== undefined) {
            record([checked.defect], from, k, true)
            continue
          }
          record(checked.violations, from, k)
          if (initial) continue
        }
        const inserted = table.insert(fp)
        if (inserted === "present") continue
        added++
        const id = own(from, k)
        if (store === "states") next.push(after, id)
        else if (store === "references") next.pushReference(f, k, id)
        if (table.size >= maxStates) Atomics.compareExchange(ctl, STOP, 0, 1)
      }
      commands = undefined
      k = 0
    }
    finishLevel()
  }

  return (m: ToSearchWorker) => {
    switch (m._tag) {
      case "Level":
        known = new Set(m.known)
        store = m.store
        // Only a level of references keeps its parent level alive.
        next = store === "references" ? new Frontier(frontier, model) : new Frontier()
        expand()
        return
      case "Resume":
        expand()
        return
      case "Give":
        post({ _tag: "Given", ...frontier.takeLast(m.count) })
        return
      case "Take":
        frontier.append(m.states, m.ids)
        post({ _tag: "Taken" })
        return
      default:
        return
    }
  }
}

if (parentPort !== null && (workerData as { parallelExploreWorker?: boolean } | null)?.parallelExploreWorker === true) {
  const port = parentPort
  let search: Search | undefined
  // Messages wait for a model being loaded (the import is asynchronous), then go to its search.
  let loading: Promise<void> = Promise.resolve()
  port.on("message", (m: ToSearchWorker) => {
    loading = loading.then(async () => {
      if (m._tag === "Load") {
        search = await load(port, m.setup)
        port.postMessage({ _tag: "Ready" } satisfies FromSearchWorker)
      } else if (m._tag === "Unload") search = undefined
      else search?.(m)
    })
  })
}
