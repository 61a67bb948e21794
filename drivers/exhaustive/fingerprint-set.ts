/**
 * The explorer's visited set: 64-bit fingerprints in an open-addressing hash table of typed arrays,
 * so it is not bound by V8's 2^24-entry limit on `Set`/`Map`. Each distinct state gets a dense
 * index (0, 1, 2, … in insertion order); the explorer keys its parent pointers by that index.
 *
 * Memory per stored state: 8 bytes of fingerprint, plus 4 bytes of slot at a load factor of at
 * most 1/2 (so 8 to 16 bytes of slots): 16 to 24 bytes in all.
 *
 * @module
 */
import type { Fingerprint } from "./fingerprint.ts"

const grow = (a: Uint32Array, size: number): Uint32Array => {
  const b = new Uint32Array(size)
  b.set(a.subarray(0, Math.min(a.length, size)))
  return b
}

/** A growable set of 64-bit fingerprints with dense indexes. */
export class FingerprintSet {
  private slots: Int32Array
  private mask: number
  private his: Uint32Array
  private los: Uint32Array
  /** Number of fingerprints stored. */
  size = 0

  constructor(initialCapacity = 1 << 16) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(16, initialCapacity * 2)))
    this.slots = new Int32Array(cap).fill(-1)
    this.mask = cap - 1
    this.his = new Uint32Array(initialCapacity)
    this.los = new Uint32Array(initialCapacity)
  }

  /** The index of `fp`, or -1 when the set does not hold it. */
  indexOf(fp: Fingerprint): number {
    let slot = (fp.lo ^ Math.imul(fp.hi, 0x9e3779b1)) & this.mask
    for (;;) {
      const at = this.slots[slot] as number
      if (at < 0) return -1
      if (this.his[at] === fp.hi && this.los[at] === fp.lo) return at
      slot = (slot + 1) & this.mask
    }
  }

  /** Adds a fingerprint. Returns its index and whether it was new. */
  add(fp: Fingerprint): { readonly index: number; readonly added: boolean } {
    let slot = (fp.lo ^ Math.imul(fp.hi, 0x9e3779b1)) & this.mask
    for (;;) {
      const at = this.slots[slot] as number
      if (at < 0) break
      if (this.his[at] === fp.hi && this.los[at] === fp.lo) return { index: at, added: false }
      slot = (slot + 1) & this.mask
    }
    const index = this.size++
    if (index >= this.his.length) {
      this.his = grow(this.his, this.his.length * 2)
      this.los = grow(this.los, this.los.length * 2)
    }
    this.his[index] = fp.hi
    this.los[index] = fp.lo
    this.slots[slot] = index
    if (this.size * 2 > this.slots.length) this.rehash()
    return { index, added: true }
  }

  private rehash(): void {
    const cap = this.slots.length * 2
    this.slots = new Int32Array(cap).fill(-1)
    this.mask = cap - 1
    for (let i = 0; i < this.size; i++) {
      let slot = ((this.los[i] as number) ^ Math.imul(this.his[i] as number, 0x9e3779b1)) & this.mask
      while ((this.slots[slot] as number) >= 0) slot = (slot + 1) & this.mask
      this.slots[slot] = i
    }
  }

  /** Bytes held by the table's typed arrays. */
  get bytes(): number {
    return this.slots.byteLength + this.his.byteLength + this.los.byteLength
  }

  /**
   * TLC's "based on the actual fingerprints" estimate of the probability that two distinct states
   * shared a fingerprint: 1 / (the smallest gap between two sorted fingerprints), after Broder
   * (TLC's `FPSet.checkFPs`). 0 with fewer than two fingerprints.
   */
  actualCollisionEstimate(): number {
    if (this.size < 2) return 0
    const all = new BigUint64Array(this.size)
    for (let i = 0; i < this.size; i++) all[i] = (BigInt(this.his[i] as number) << 32n) | BigInt(this.los[i] as number)
    all.sort()
    let minGap = 2n ** 64n
    for (let i = 1; i < all.length; i++) {
      const gap = (all[i] as bigint) - (all[i - 1] as bigint)
      if (gap < minGap) minGap = gap
    }
    return minGap === 0n ? 1 : 1 / Number(minGap)
  }
}

/**
 * TLC's "calculated (optimistic)" probability that fingerprint collisions hid states:
 * n·(m−n) / 2^64 for n distinct states and m states generated (TLC `ModelChecker.reportSuccess`).
 */
export const optimisticCollisionProbability = (distinct: number, generated: number): number =>
  (distinct * Math.max(0, generated - distinct)) / 2 ** 64
