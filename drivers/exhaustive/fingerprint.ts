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

const fmix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Mixes a pair of lanes into a new, well-distributed pair (both lanes depend on both inputs). */
const mixPair = (a: number, b: number, salt: number): Fingerprint => {
  const hi = fmix((a ^ Math.imul(b, 0x9e3779b1) ^ salt) >>> 0)
  const lo = fmix((b ^ Math.imul(a, 0x85ebca77) ^ Math.imul(salt, 0xc2b2ae3d)) >>> 0)
  return { hi, lo }
}

const FP: unique symbol = Symbol("iovcheck.fingerprint")

/**
 * Below this depth values are hashed structurally, part by part, with a cached fingerprint per
 * object; at it, an array or object is hashed through its JSON text (cached too): small parts are
 * cheaper to encode whole than to walk.
 */
const LEAF_DEPTH = 2
const strings = new Map<string, Fingerprint>()

const stringFingerprint = (text: string): Fingerprint => {
  let h = strings.get(text)
  if (h === undefined) {
    h = fingerprintString(text)
    if (strings.size < 1 << 16) strings.set(text, h)
  }
  return h
}

/**
 * Structural 64-bit fingerprint of plain data (numbers, strings, booleans, `undefined`, arrays,
 * plain objects), equal for structurally equal values whatever the key order of their objects.
 * Arrays hash in order; objects hash as the wrapping sum of (key, value) hashes, so key order does
 * not matter; a key whose value is `undefined` counts as absent (as in JSON). Parts at depth
 * `LEAF_DEPTH` and below are hashed through their JSON text, where key order does matter: equal
 * parts built with different key orders then count as two states (more work, never a missed state). Results for arrays
 * and objects are cached on the object itself, under a non-enumerable symbol (invisible to JSON,
 * `Object.keys`, `for…in` and object spread, so a copy never inherits it): immutable states share
 * unchanged parts with their parent, so fingerprinting a successor rehashes only the parts the
 * step rebuilt. (A WeakMap cache measured 40% slower, most of it in garbage collection.)
 */
export const fingerprintValue = (v: unknown, depth = 0): Fingerprint => {
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? mixPair(v | 0, 0x6e756d, 1) : fingerprintString(`n${v}`)
    case "string":
      return stringFingerprint(v)
    case "boolean":
      return mixPair(v ? 1 : 0, 0x626f6f6c, 2)
    case "undefined":
      return { hi: 0, lo: 0 }
    case "object": {
      if (v === null) return mixPair(0, 0x6e756c6c, 3)
      const hit = (v as { [FP]?: Fingerprint })[FP]
      if (hit !== undefined) return hit
      let result: Fingerprint
      if (depth >= LEAF_DEPTH) {
        result = fingerprintString(JSON.stringify(v))
      } else if (Array.isArray(v)) {
        let acc: Fingerprint = { hi: v.length, lo: 0x61727279 }
        for (const x of v) {
          const h = fingerprintValue(x, depth + 1)
          acc = mixPair(acc.hi ^ h.hi, acc.lo ^ h.lo, 4)
        }
        result = acc
      } else {
        let hi = 0
        let lo = 0
        const record = v as Record<string, unknown>
        for (const key in record) {
          const x = record[key]
          if (x === undefined) continue
          const k = stringFingerprint(key)
          const h = fingerprintValue(x, depth + 1)
          const e = mixPair(k.hi ^ h.hi, k.lo ^ Math.imul(h.lo, 0x27d4eb2f), 5)
          hi = (hi + e.hi) >>> 0
          lo = (lo + e.lo) >>> 0
        }
        result = mixPair(hi, lo, 6)
      }
      Object.defineProperty(v, FP, { value: result })
      return result
    }
    default:
      throw new TypeError(`cannot fingerprint a ${typeof v}`)
  }
}
