/**
 * 64-bit fingerprints of canonical state encodings, for the exhaustive explorer's visited set (as
 * TLC and Murphi keep fingerprints, not states: hash compaction, Stern & Dill 1995).
 *
 * Two 32-bit multiply-xorshift lanes over the UTF-16 code units, cross-mixed at the end (the
 * construction of the public-domain cyrb53 hash, kept at the full 64 bits). Not cryptographic; the
 * explorer reports the collision probability the way TLC does (see `fingerprint-set.ts`).
 *
 * @module
 */

/** A 64-bit fingerprint as two unsigned 32-bit halves. */
export interface Fingerprint {
  readonly hi: number
  readonly lo: number
}

/** Fingerprint of a string (a canonical encoding of a state). */
export const fingerprintString = (text: string): Fingerprint => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return { hi: h2 >>> 0, lo: h1 >>> 0 }
}

/** Fingerprint of a state packed into a non-negative integer below 2^53. */
export const fingerprintInteger = (n: number): Fingerprint => {
  let h1 = Math.imul((n >>> 0) ^ 0x9e3779b9, 0x85ebca6b)
  let h2 = Math.imul(Math.floor(n / 0x100000000) ^ 0x7f4a7c15, 0xc2b2ae35)
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  h1 ^= h1 >>> 15
  return { hi: h2 >>> 0, lo: h1 >>> 0 }
}
