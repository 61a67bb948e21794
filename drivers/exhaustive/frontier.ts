/**
 * A breadth-first search level waiting to be expanded: its states in order, each with its id (the
 * fingerprint table's index of the state, or the parallel explorer's global id), kept in one of
 * three ways the search picks per level (issue 19: memory for deep proofs):
 *
 * - `"states"`: the states themselves (about 1.3 KB each in the nested scenarios, on V8's heap);
 * - `"references"`: for the last two levels a search expands, a reference per state instead (the
 *   position of its parent in the level before and the index of the command in the parent's
 *   `enabled` list, two small integers), the parent level being kept; a state is rebuilt, by one
 *   transition of the pure model, when it is expanded or handed to another thread, and a state of
 *   the last level expanded from its parent, itself rebuilt from the level before (once per parent:
 *   a parent's children are consecutive). The peak memory of a search to depth D is then the states
 *   of level D−3, not of level D−1 (six to thirty times fewer in the catalogue's worlds: for
 *   `sriov-ats-strict` to depth 13 with symmetry, 4.1 million states of level 10 where the one-level
 *   scheme held the 10.3 million of level 11), for about two more transitions per state of levels
 *   D−2 and D−1 against the 36 each one's expansion makes there (a search to depth 11 measured 1.7
 *   GB peak instead of 2.9 GB, and took 10 min 54 s instead of 12 min 42 s: less garbage collection);
 * - `"count"`: the search's last level: its states are counted by the caller, never kept (nothing
 *   expands them).
 *
 * @module
 */

/** How a search keeps the level it is building: see the module documentation. */
export type LevelStore = "states" | "references" | "count"

/**
 * How the level being built is kept, for a search to `depth` building level `level` (1-based):
 * the last level is counted, the two before it, the last two to be expanded, are kept as
 * references (the second of them into the first).
 */
export const levelStore = (level: number, depth: number): LevelStore =>
  level >= depth ? "count" : level >= depth - 2 ? "references" : "states"

/** The two operations of a model a reference is rebuilt with. */
export interface Rebuild<S, C> {
  readonly enabled: (state: S) => ReadonlyArray<C>
  readonly next: (state: S, command: C) => { readonly state: S | undefined }
}

/**
 * A level's states and ids, some kept as states and some as references into `parents` (the level
 * before, whose entries may be references in turn). Entries are read in order by
 * {@link Frontier.state}; the last parent read and its `enabled` list are cached, since a parent's
 * children are consecutive.
 */
export class Frontier<S, C> {
  private readonly kept: Array<S | undefined> = []
  private readonly parentAt: Array<number> = []
  private readonly choiceAt: Array<number> = []
  readonly ids: Array<number> = []
  private cachedParent = -1
  private cachedParentState: S | undefined = undefined
  private cachedCommands: ReadonlyArray<C> = []

  /**
   * An empty level; `parents` (the level before, by position) and `model` are needed only by a
   * level holding references.
   */
  constructor(
    private readonly parents: Frontier<S, C> | undefined = undefined,
    private readonly model: Rebuild<S, C> | undefined = undefined,
  ) {}

  /** A level of the given states and ids (the search's first level: the initial state). */
  static of<S, C>(states: ReadonlyArray<S>, ids: ReadonlyArray<number>): Frontier<S, C> {
    const f = new Frontier<S, C>()
    f.append(states, ids)
    return f
  }

  /** The number of states in the level. */
  get size(): number {
    return this.ids.length
  }

  /** Adds a state kept as itself. */
  push(state: S, id: number): void {
    this.kept.push(state)
    this.parentAt.push(-1)
    this.choiceAt.push(-1)
    this.ids.push(id)
  }

  /**
   * Adds a state kept as a reference: the `choice`-th enabled command of the parent at position
   * `parent` of the level before leads to it. Throws when the level has no parents to refer to.
   */
  pushReference(parent: number, choice: number, id: number): void {
    if (this.parents === undefined) throw new Error("a frontier without a parent level holds no references")
    this.kept.push(undefined)
    this.parentAt.push(parent)
    this.choiceAt.push(choice)
    this.ids.push(id)
  }

  /** Adds states kept as themselves (another thread's, handed over). */
  append(states: ReadonlyArray<S>, ids: ReadonlyArray<number>): void {
    for (let i = 0; i < states.length; i++) this.push(states[i] as S, ids[i] as number)
  }

  /**
   * The state at position `i` (0 ≤ i < size), rebuilt from its parent when kept as a reference.
   * Throws when the rebuilt transition has no successor (a model that is not a function of its
   * state and command).
   */
  state(i: number): S {
    const kept = this.kept[i]
    if (kept !== undefined) return kept
    const model = this.model as Rebuild<S, C>
    const at = this.parentAt[i] as number
    if (at !== this.cachedParent) {
      // A parent kept as a reference is rebuilt once for its consecutive children.
      this.cachedParentState = (this.parents as Frontier<S, C>).state(at)
      this.cachedCommands = model.enabled(this.cachedParentState)
      this.cachedParent = at
    }
    const parent = this.cachedParentState as S
    const rebuilt = model.next(parent, this.cachedCommands[this.choiceAt[i] as number] as C).state
    if (rebuilt === undefined) throw new Error("a state kept as a reference has no successor when rebuilt")
    return rebuilt
  }

  /** Removes the last `count` entries and returns them as states (rebuilt where referenced) and ids. */
  takeLast(count: number): { readonly states: Array<S>; readonly ids: Array<number> } {
    const from = Math.max(0, this.size - count)
    const states: Array<S> = []
    for (let i = from; i < this.size; i++) states.push(this.state(i))
    const ids = this.ids.splice(from)
    this.kept.splice(from)
    this.parentAt.splice(from)
    this.choiceAt.splice(from)
    return { states, ids }
  }
}
