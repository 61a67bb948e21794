/**
 * Parallel breadth-first search over worker threads: the same search as `explore` (`bfs.ts`), with
 * the same distinct states at every depth, the same verdict and the same shortest counterexample
 * length for each property, on every core.
 *
 * - **One visited set for all threads**: a fingerprint table in shared memory that every search
 *   thread inserts into with an atomic compare-and-exchange (`shared-fingerprint-table.ts`). The
 *   thread that inserts a fingerprint first owns the state: it keeps the state in its own next
 *   frontier and records its parent pointer, so states never cross threads to be deduplicated.
 * - **Levels in lock step**: each thread expands its own frontier; the coordinator (the calling
 *   thread) waits for every thread to finish the level before the next begins, so a level's new
 *   states are the states first reached at that depth, whichever thread reached them (BFS levels
 *   do not depend on the order of expansion).
 * - **Balance**: a thread keeps the states it discovers, so frontiers stay in proportion; when they
 *   drift apart by more than a tenth (and at the start, when one thread holds the initial state) the
 *   coordinator moves states from the largest to the smallest (structured clone).
 * - **Growth**: when an insertion takes the table past half full, every thread pauses at its next
 *   transition, the coordinator doubles the table, and they resume where they were.
 * - **Stops**: the state budget, the deadline and `shouldStop` set a shared stop word; the threads
 *   stop at their next transition and report the level as incomplete. So does the coordinator once
 *   every property has a counterexample: a thread reports each property it violates first in a
 *   level at once (`Found`), as the single-threaded search stops in the middle of a level.
 *
 * What may differ from the single-threaded explorer: which of several shortest counterexamples of a
 * property is reported (the first found in a level is the first some thread found), the order of
 * the violations, and, when a search stops inside a level, how far into that level it got.
 *
 * Threads build the model themselves from a {@link ModelSpec} (a module, an export and its
 * arguments), as functions cannot cross threads.
 *
 * @module
 */
import { existsSync } from "node:fs"
import { totalmem } from "node:os"
import { getHeapStatistics } from "node:v8"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import type { ExplorableModel, ExploreOptions, ExploreResult, ModelViolation, StopReason } from "./bfs.ts"
import { optimisticCollisionProbability } from "./fingerprint-set.ts"
import { type LevelStore, levelStore } from "./frontier.ts"
import { SHARED_TABLE_MAX_STATES, SharedFingerprintTable, type SharedTableBuffers } from "./shared-fingerprint-table.ts"

/**
 * How a thread builds the model: `import(module)[export](...args)`. The arguments must survive a
 * structured clone (plain data: a scenario, a number).
 */
export interface ModelSpec {
  readonly module: string
  readonly export: string
  readonly args: ReadonlyArray<unknown>
}

/** Builds the model a spec names. */
export const loadModel = async <S, C>(spec: ModelSpec): Promise<ExplorableModel<S, C>> => {
  const mod = (await import(spec.module)) as Record<string, (...args: ReadonlyArray<unknown>) => ExplorableModel<S, C>>
  const factory = mod[spec.export]
  if (typeof factory !== "function") throw new Error(`${spec.module} has no model factory ${spec.export}`)
  return factory(...spec.args)
}

/**
 * The V8 heap (old generation, MiB) each of `threads` search threads gets: three quarters of the
 * machine's memory shared between them, and never less than V8's default for this process. A
 * search keeps its frontier, the states of the level being expanded, in the V8 heap (about 1.3 KB
 * a state in the nested scenarios; the last two levels expanded as references to the level
 * before, `frontier.ts`); the visited set and the parent pointers live outside it. V8's default limit
 * (about 4 GiB) would stop a search with a few million states in one level on a machine with
 * memory to spare.
 */
export const explorerHeapMb = (threads: number): number =>
  Math.max(
    Math.floor(getHeapStatistics().heap_size_limit / 2 ** 20),
    Math.floor((totalmem() * 0.75) / Math.max(1, threads) / 2 ** 20),
  )

/** The compiled search thread's entry point (next to this module in `dist/`). */
const workerUrl = new URL("./parallel-worker.js", import.meta.url)

/**
 * Whether the parallel explorer can run here: its compiled thread entry exists (it does in the
 * installed package, not when the TypeScript sources run directly, as under vitest).
 */
export const parallelExplorerAvailable = (): boolean => existsSync(fileURLToPath(workerUrl))

// The shared control words.
/** Non-zero: stop, for the reason `STOP_REASONS[value]`. */
export const STOP = 0
export const CONTROL_WORDS = 1
/** Stop reasons by control value. */
export const STOP_REASONS: ReadonlyArray<StopReason | undefined> = [
  undefined,
  "max-states",
  "time",
  "interrupted",
  "all-violated",
]

/** What a search thread is given for one exploration. */
export interface SearchSetup {
  readonly spec: ModelSpec
  readonly worker: number
  readonly workers: number
  readonly table: SharedTableBuffers
  readonly control: SharedArrayBuffer
  /** This thread's parent pointers: (parent id, choice) per state it owns, by local index. */
  readonly parents: SharedArrayBuffer
  readonly maxStates: number
}

/** A violation a thread found in a level: the first of its property in that thread. */
export interface FoundViolation extends ModelViolation {
  /** Global id of the state the violating transition leaves. */
  readonly from: number
  readonly choice: number
  /** A model defect (a dying transition, a broken state), which `propertyCount` does not count. */
  readonly defect: boolean
}

/** Coordinator to search thread. */
export type ToSearchWorker =
  | { readonly _tag: "Load"; readonly setup: SearchSetup }
  | { readonly _tag: "Unload" }
  | {
      readonly _tag: "Level"
      readonly known: ReadonlyArray<string>
      /** How the level being built is kept (`frontier.ts`): as states, as references, or counted. */
      readonly store: LevelStore
    }
  | { readonly _tag: "Resume" }
  | { readonly _tag: "Give"; readonly count: number }
  | { readonly _tag: "Take"; readonly states: ReadonlyArray<unknown>; readonly ids: ReadonlyArray<number> }

/** Search thread to coordinator. */
export type FromSearchWorker =
  | { readonly _tag: "Ready" }
  | { readonly _tag: "Paused" }
  /** The first violation of a property in this thread's level (it comes again with `LevelDone`). */
  | { readonly _tag: "Found"; readonly violation: FoundViolation }
  | {
      readonly _tag: "LevelDone"
      readonly added: number
      readonly transitions: number
      readonly found: ReadonlyArray<FoundViolation>
      readonly frontier: number
    }
  | { readonly _tag: "Given"; readonly states: ReadonlyArray<unknown>; readonly ids: ReadonlyArray<number> }
  | { readonly _tag: "Taken" }

/** Bounds of a parallel search: those of `explore`, the number of threads, the table's first size. */
export interface ParallelExploreOptions extends ExploreOptions {
  readonly workers: number
  /** Fingerprints the shared table has room for before it first grows (default 2^16). */
  readonly tableCapacity?: number
}

/** A thread's messages, one at a time, in order. */
class Inbox {
  private readonly queue: Array<FromSearchWorker> = []
  private readonly waiting: Array<(m: FromSearchWorker) => void> = []
  private failure: Error | undefined
  private readonly failed: Array<(e: Error) => void> = []

  push(m: FromSearchWorker): void {
    const w = this.waiting.shift()
    if (w !== undefined) {
      this.failed.shift()
      w(m)
    } else this.queue.push(m)
  }

  fail(e: Error): void {
    this.failure = e
    for (const f of this.failed.splice(0)) f(e)
    this.waiting.length = 0
  }

  next(): Promise<FromSearchWorker> {
    const m = this.queue.shift()
    if (m !== undefined) return Promise.resolve(m)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve)
      this.failed.push(reject)
    })
  }

  async expect<T extends FromSearchWorker["_tag"]>(tag: T): Promise<Extract<FromSearchWorker, { _tag: T }>> {
    const m = await this.next()
    if (m._tag !== tag) throw new Error(`explorer thread sent ${m._tag}, expected ${tag}`)
    return m as Extract<FromSearchWorker, { _tag: T }>
  }
}

/**
 * Search threads that explore one model after another: the threads load iovcheck's modules once
 * (most of a thread's start-up), and each exploration hands them a model spec and fresh shared
 * buffers. A pool whose thread failed is broken: `explore` rejects, and the pool should be closed.
 */
export class ExplorerPool {
  private constructor(
    private readonly threads: ReadonlyArray<Worker>,
    private readonly inboxes: ReadonlyArray<Inbox>,
  ) {}

  /** Starts `workers` search threads. */
  static start(workers: number): ExplorerPool {
    const inboxes = Array.from({ length: Math.max(1, Math.floor(workers)) }, () => new Inbox())
    const threads = inboxes.map((inbox, worker) => {
      const t = new Worker(workerUrl, {
        workerData: { parallelExploreWorker: true },
        resourceLimits: { maxOldGenerationSizeMb: explorerHeapMb(inboxes.length) },
      })
      t.on("message", (m: FromSearchWorker) => inbox.push(m))
      t.on("error", (e) => inbox.fail(e))
      t.on("exit", (code) => inbox.fail(new Error(`explorer thread ${worker} exited (code ${code})`)))
      return t
    })
    return new ExplorerPool(threads, inboxes)
  }

  /** Number of search threads. */
  get workers(): number {
    return this.threads.length
  }

  /** Ends the threads. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()))
  }

  /** Explores the model `spec` names on the pool's threads (see the module documentation). */
  async explore<S, C>(spec: ModelSpec, options: ExploreOptions & { readonly tableCapacity?: number }) {
    return exploreOn<S, C>(this.threads, this.inboxes, spec, options)
  }
}

/** Explores the model `spec` names on `options.workers` threads started for it. */
export const exploreParallel = async <S, C>(
  spec: ModelSpec,
  options: ParallelExploreOptions,
): Promise<ExploreResult<C>> => {
  const pool = ExplorerPool.start(options.workers)
  try {
    return await pool.explore<S, C>(spec, options)
  } finally {
    await pool.close()
  }
}

const exploreOn = async <S, C>(
  threads: ReadonlyArray<Worker>,
  inboxes: ReadonlyArray<Inbox>,
  spec: ModelSpec,
  options: ExploreOptions & { readonly tableCapacity?: number },
): Promise<ExploreResult<C>> => {
  const started = options.now()
  const model = await loadModel<S, C>(spec)
  const workers = threads.length
  const maxStates = Math.min(options.maxStates, SHARED_TABLE_MAX_STATES)
  const table = SharedFingerprintTable.create(Math.min(maxStates, options.tableCapacity ?? 1 << 16))
  table.insert(model.fingerprint(model.initial))
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4)
  const ctl = new Int32Array(control)
  const parentBuffers = threads.map(() => new SharedArrayBuffer(1 << 16, { maxByteLength: 2 ** 31 }))
  const send = (worker: number, m: ToSearchWorker): void => (threads[worker] as Worker).postMessage(m)
  const inbox = (worker: number): Inbox => inboxes[worker] as Inbox
  parentBuffers.forEach((parents, worker) => {
    send(worker, {
      _tag: "Load",
      setup: { spec, worker, workers, table: table.buffers, control, parents, maxStates },
    })
  })
  let depth = 0
  const stopFor = (reason: number): void => {
    Atomics.compareExchange(ctl, STOP, 0, reason)
  }
  let reported = started
  const ticker = setInterval(() => {
    const now = options.now()
    if (options.deadline !== undefined && now > options.deadline) stopFor(2)
    if (options.shouldStop?.() === true) stopFor(3)
    if (options.onProgress !== undefined && now - reported >= (options.progressMs ?? 250)) {
      reported = now
      options.onProgress({ depth, distinctStates: table.size, elapsedMs: now - started })
    }
  }, 50)
  try {
    await Promise.all(inboxes.map((i) => i.expect("Ready")))
    const found = new Map<string, FoundViolation>()
    const statesPerDepth: Array<number> = [1]
    const frontiers: Array<number> = parentBuffers.map((_, w) => (w === 0 ? 1 : 0))
    let transitions = 0
    let depthCompleted = 0
    // With no property to check, every property is violated before the first transition.
    let stoppedBy: StopReason = model.propertyCount === 0 ? "all-violated" : "depth"
    for (let d = 1; d <= options.depth && model.propertyCount > 0; d++) {
      depth = d
      await rebalance(frontiers, send, inbox)
      const known = [...found.keys()]
      for (let w = 0; w < workers; w++) send(w, { _tag: "Level", known, store: levelStore(d, options.depth) })
      const done: Array<Extract<FromSearchWorker, { _tag: "LevelDone" }> | undefined> = frontiers.map(() => undefined)
      const violated = new Set(violatedProperties(found))
      /** A thread's messages up to the end of its level or a pause (`Found` ones on the way counted). */
      const untilDoneOrPaused = async (w: number): Promise<FromSearchWorker> => {
        for (;;) {
          const m = await inbox(w).next()
          if (m._tag !== "Found") return m
          violated.add(m.violation.property)
          if (violated.size >= model.propertyCount) stopFor(4)
        }
      }
      let running = parentBuffers.map((_, w) => w)
      while (running.length > 0) {
        const replies = await Promise.all(running.map(untilDoneOrPaused))
        const paused: Array<number> = []
        replies.forEach((m, i) => {
          const w = running[i] as number
          if (m._tag === "LevelDone") done[w] = m
          else if (m._tag === "Paused") paused.push(w)
          else throw new Error(`explorer thread sent ${m._tag} during a level`)
        })
        if (paused.length > 0) table.grow()
        for (const w of paused) send(w, { _tag: "Resume" })
        running = paused
      }
      let added = 0
      for (const [w, m] of done.entries()) {
        if (m === undefined) continue
        added += m.added
        transitions += m.transitions
        frontiers[w] = m.frontier
        for (const v of m.found) if (!found.has(v.property)) found.set(v.property, v)
      }
      const stop = STOP_REASONS[Atomics.load(ctl, STOP)]
      // As the single-threaded search: a signal is reported as such; the level where the last
      // property is found is not counted, whether the threads finished it or not; a budget that ran
      // out with every property found stopped nothing left to find.
      if (stop === "interrupted") {
        stoppedBy = stop
        break
      }
      if (violatedProperties(found).length >= model.propertyCount) {
        stoppedBy = "all-violated"
        break
      }
      if (stop !== undefined) {
        stoppedBy = stop
        break
      }
      depthCompleted = d
      statesPerDepth.push(added)
      if (added === 0) {
        stoppedBy = "exhausted"
        break
      }
    }
    const parents = parentBuffers.map((b) => new Int32Array(b))
    const pathTo = (id: number): Array<number> => {
      const choices: Array<number> = []
      for (let g = id; g > 0; ) {
        const owner = parents[g % workers] as Int32Array
        const local = Math.floor(g / workers)
        choices.push(owner[2 * local + 1] as number)
        g = owner[2 * local] as number
      }
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
    const violations = [...found.values()].map(({ from, choice, property, message }) => ({
      property,
      message,
      commands: replayChoices([...pathTo(from), choice]),
    }))
    const distinctStates = table.size
    return {
      distinctStates,
      transitions,
      depthCompleted,
      stoppedBy,
      elapsedMs: options.now() - started,
      violations,
      collisionProbability: {
        optimistic: optimisticCollisionProbability(distinctStates, transitions + 1),
        actual: table.actualCollisionEstimate(),
      },
      bytesPerState: (table.bytes + parentBuffers.reduce((a, b) => a + b.byteLength, 0)) / distinctStates,
      statesPerDepth,
    }
  } finally {
    clearInterval(ticker)
    for (let w = 0; w < workers; w++) send(w, { _tag: "Unload" })
  }
}

/** The properties (model defects left out) among violations found. */
const violatedProperties = (found: ReadonlyMap<string, FoundViolation>): Array<string> =>
  [...found.values()].flatMap((v) => (v.defect ? [] : [v.property]))

/**
 * Moves states from the largest frontiers to the smallest until none is more than a tenth of the
 * total (or one state) away from the mean; updates `frontiers`.
 */
const rebalance = async (
  frontiers: Array<number>,
  send: (worker: number, m: ToSearchWorker) => void,
  inbox: (worker: number) => Inbox,
): Promise<void> => {
  const total = frontiers.reduce((a, b) => a + b, 0)
  const slack = Math.max(1, Math.floor(total / 10))
  for (let round = 0; round < frontiers.length; round++) {
    let big = 0
    let small = 0
    frontiers.forEach((n, w) => {
      if (n > (frontiers[big] as number)) big = w
      if (n < (frontiers[small] as number)) small = w
    })
    const gap = (frontiers[big] as number) - (frontiers[small] as number)
    if (gap <= slack) return
    const count = Math.floor(gap / 2)
    send(big, { _tag: "Give", count })
    const given = await inbox(big).expect("Given")
    send(small, { _tag: "Take", states: given.states, ids: given.ids })
    await inbox(small).expect("Taken")
    frontiers[big] = (frontiers[big] as number) - given.states.length
    frontiers[small] = (frontiers[small] as number) + given.states.length
  }
}
