/**
 * The parallel explorer's visited set: 64-bit fingerprints in an open-addressing hash table in a
 * growable `SharedArrayBuffer`, which every search thread inserts into with an atomic
 * compare-and-exchange (no lock). Growing it is not concurrent: a thread whose insertion takes the
 * table past half full raises the `full` flag, the threads pause at their next transition, and the
 * coordinator grows and rehashes the table before they resume (`parallel-bfs.ts`).
 *
 * A slot holds a fingerprint as one `BigInt64` (0 marks an empty slot, so the fingerprint 0 is
 * stored as 1: one more pair of fingerprints that cannot be told apart, among 2^64). At most
 * 2^28 slots (a 2 GiB buffer, the largest V8 lets a `SharedArrayBuffer` grow to): 2^27 states.
 *
 * @module
 */
import type { Fingerprint } from "./fingerprint.ts"

/** Largest table: 2^28 slots of 8 bytes. */
const MAX_BYTES = 2 ** 31
/** Most fingerprints the table can hold (at a load factor of 1/2). */
export const SHARED_TABLE_MAX_STATES = MAX_BYTES / 8 / 2

// The control block: slot count, fingerprints held, the `full` flag.
const COUNT = 0
const FULL = 1
const CONTROL_WORDS = 2

/** The buffers of a table, to hand to another thread (`SharedFingerprintTable.attach`). */
export interface SharedTableBuffers {
  readonly slots: SharedArrayBuffer
  readonly control: SharedArrayBuffer
}

/** What an insertion found. */
export type InsertResult = "present" | "added" | "added-full"

/** The fingerprint as stored: 0 becomes 1 (0 marks an empty slot). */
const stored = (fp: Fingerprint): Fingerprint => (fp.hi === 0 && fp.lo === 0 ? { hi: 0, lo: 1 } : fp)

/** A stored fingerprint as the signed 64-bit value a `BigInt64Array` holds. */
const key = (fp: Fingerprint): bigint => BigInt.asIntN(64, (BigInt(fp.hi) << 32n) | BigInt(fp.lo))

const home = (fp: Fingerprint, mask: number): number => (fp.lo ^ Math.imul(fp.hi, 0x9e3779b1)) & mask

/** A view of a shared fingerprint table (one per thread, over the same buffers). */
export class SharedFingerprintTable {
  private readonly slots: BigInt64Array
  private readonly control: Int32Array

  private constructor(readonly buffers: SharedTableBuffers) {
    // Length-tracking views: they see the buffer grow.
    this.slots = new BigInt64Array(buffers.slots)
    this.control = new Int32Array(buffers.control)
  }

  /** A new, empty table with room for `capacity` fingerprints before it must grow. */
  static create(capacity = 1 << 15): SharedFingerprintTable {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, Math.min(capacity * 2, MAX_BYTES / 8))))
    return new SharedFingerprintTable({
      slots: new SharedArrayBuffer(slots * 8, { maxByteLength: MAX_BYTES }),
      control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    })
  }

  /** Another thread's view of the table with `buffers`. */
  static attach(buffers: SharedTableBuffers): SharedFingerprintTable {
    return new SharedFingerprintTable(buffers)
  }

  /** Fingerprints held. */
  get size(): number {
    return Atomics.load(this.control, COUNT)
  }

  /** Bytes of the table. */
  get bytes(): number {
    return this.buffers.slots.byteLength + this.buffers.control.byteLength
  }

  /** Whether an insertion took the table past half full: it must grow before more insertions. */
  get full(): boolean {
    return Atomics.load(this.control, FULL) !== 0
  }

  /** Whether the table holds `fp`. */
  has(fingerprint: Fingerprint): boolean {
    const fp = stored(fingerprint)
    const k = key(fp)
    const mask = this.slots.length - 1
    for (let slot = home(fp, mask); ; slot = (slot + 1) & mask) {
      const at = Atomics.load(this.slots, slot)
      if (at === 0n) return false
      if (at === k) return true
    }
  }

  /**
   * Inserts `fp` unless present; `"added-full"` when the insertion took the table past half full
   * (the `full` flag is then raised). Safe to call from several threads at once, never while the
   * table grows.
   */
  insert(fingerprint: Fingerprint): InsertResult {
    const fp = stored(fingerprint)
    const k = key(fp)
    const mask = this.slots.length - 1
    for (let slot = home(fp, mask); ; slot = (slot + 1) & mask) {
      const at = Atomics.compareExchange(this.slots, slot, 0n, k)
      if (at === 0n) {
        const count = Atomics.add(this.control, COUNT, 1) + 1
        if (count * 2 > this.slots.length && this.slots.length * 8 < MAX_BYTES) {
          Atomics.store(this.control, FULL, 1)
          return "added-full"
        }
        return "added"
      }
      if (at === k) return "present"
    }
  }

  /**
   * Doubles the table and rehashes it, clearing the `full` flag. Only while no other thread
   * touches the table (the coordinator, with every search thread paused).
   */
  grow(): void {
    const old = this.slots.slice()
    this.buffers.slots.grow(this.buffers.slots.byteLength * 2)
    this.slots.fill(0n)
    const mask = this.slots.length - 1
    for (let i = 0; i < old.length; i++) {
      const k = old[i] as bigint
      if (k === 0n) continue
      const fp = { hi: Number(BigInt.asUintN(64, k) >> 32n), lo: Number(BigInt.asUintN(32, k)) }
      let slot = home(fp, mask)
      while (this.slots[slot] !== 0n) slot = (slot + 1) & mask
      this.slots[slot] = k
    }
    Atomics.store(this.control, FULL, 0)
  }

  /**
   * TLC's "based on the actual fingerprints" estimate of the probability that two distinct states
   * shared a fingerprint: 1 / (the smallest gap between two sorted fingerprints); see
   * `FingerprintSet.actualCollisionEstimate`. Not while threads insert.
   */
  actualCollisionEstimate(): number {
    const all = new BigUint64Array(this.size)
    let n = 0
    for (let i = 0; i < this.slots.length; i++) {
      const k = this.slots[i] as bigint
      if (k !== 0n && n < all.length) all[n++] = BigInt.asUintN(64, k)
    }
    if (n < 2) return 0
    const sorted = all.subarray(0, n).sort()
    let minGap = 2n ** 64n
    for (let i = 1; i < sorted.length; i++) {
      const gap = (sorted[i] as bigint) - (sorted[i - 1] as bigint)
      if (gap < minGap) minGap = gap
    }
    return minGap === 0n ? 1 : 1 / Number(minGap)
  }
}
