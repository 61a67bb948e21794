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
 * A fingerprint cached on an object, with the object it is the fingerprint of (a spread copy
 * inherits the cache entry, not its `of`) and whether it is the JSON-text one (at `LEAF_DEPTH` and
 * below) or the structural one.
 */
interface CachedFingerprint extends Fingerprint {
  readonly of: object
  readonly json: boolean
}

/**
 * Below this depth values are hashed structurally, part by part, with object key order ignored; at
 * it and below, an array or object is hashed as its JSON text would be (key order matters): small
 * parts are cheaper to take whole than to combine part by part, and the equivalence (which states
 * count as one) stays the one the explorer's pinned state counts were measured with.
 */
const LEAF_DEPTH = 2
/** Objects at depths 1 … `CACHE_DEPTH` keep their fingerprint (see {@link fingerprintValue}). */
const CACHE_DEPTH = 2
const strings = new Map<string, Fingerprint>()

const stringFingerprint = (text: string): Fingerprint => {
  let h = strings.get(text)
  if (h === undefined) {
    h = fingerprintString(text)
    if (strings.size < 1 << 16) strings.set(text, h)
  }
  return h
}

// The JSON-text hash: two 32-bit lanes fed the tokens of a value's JSON serialization (structure
// markers, string characters, numbers), as cyrb53 is fed the characters of the text, without
// building the text. Module-level lanes: no allocation per token.
let j1 = 0
let j2 = 0
const feed = (t: number): void => {
  j1 = Math.imul(j1 ^ t, 2654435761)
  j2 = Math.imul(j2 ^ t, 1597334677)
}
const T_NULL = 0x10000
const T_FALSE = 0x10001
const T_TRUE = 0x10002
const T_STRING = 0x10003
const T_INT = 0x10004
const T_NUMBER = 0x10005
const T_ARRAY = 0x10006
const T_OBJECT = 0x10007
const T_END = 0x10008
const T_KEY = 0x10009

const feedString = (s: string): void => {
  feed(T_STRING)
  feed(s.length)
  for (let i = 0; i < s.length; i++) feed(s.charCodeAt(i))
}

/**
 * Feeds `v` as `JSON.stringify` would write it, for an object property or array element (where
 * JSON writes `undefined`, functions and symbols as `null` in arrays; the caller skips them in
 * objects). Equal JSON texts give equal token streams and different texts different streams.
 */
const feedJson = (v: unknown): void => {
  switch (typeof v) {
    case "string":
      feedString(v)
      return
    case "number":
      if (!Number.isFinite(v)) feed(T_NULL)
      else if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) {
        feed(T_INT)
        feed(v | 0)
      } else {
        feed(T_NUMBER)
        feedString(String(v))
      }
      return
    case "boolean":
      feed(v ? T_TRUE : T_FALSE)
      return
    case "object": {
      if (v === null) {
        feed(T_NULL)
        return
      }
      if (Array.isArray(v)) {
        feed(T_ARRAY)
        for (let i = 0; i < v.length; i++) feedJson(v[i])
        feed(T_END)
        return
      }
      feed(T_OBJECT)
      const record = v as Record<string, unknown>
      for (const key in record) {
        const x = record[key]
        if (x === undefined || typeof x === "function" || typeof x === "symbol") continue
        feed(T_KEY)
        feedString(key)
        feedJson(x)
      }
      feed(T_END)
      return
    }
    default:
      // undefined, functions, symbols (and bigints, which JSON rejects): null, as in a JSON array.
      feed(T_NULL)
  }
}

/** The fingerprint of the JSON text of an object, without the text. */
const jsonFingerprint = (v: object): Fingerprint => {
  j1 = 0xdeadbeef
  j2 = 0x41c6ce57
  feedJson(v)
  let h1 = j1
  let h2 = j2
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return { hi: h2 >>> 0, lo: h1 >>> 0 }
}

/**
 * Structural 64-bit fingerprint of plain data (numbers, strings, booleans, `undefined`, arrays,
 * plain objects), equal for structurally equal values whatever the key order of their objects
 * down to `LEAF_DEPTH`. Arrays hash in order; objects hash as the wrapping sum of (key, value)
 * hashes, so key order does not matter; a key whose value is `undefined` counts as absent (as in
 * JSON). Parts at depth `LEAF_DEPTH` and below hash as their JSON text would (its tokens are fed
 * to the hash without building the text), where key order does matter: equal parts built with
 * different key orders then count as two states (more work, never a missed state). Results for
 * objects at depths 1 to `CACHE_DEPTH` are cached on the object itself, under a symbol (invisible
 * to JSON, `Object.keys` and `for…in`; an object spread copies it, so an entry names the object it
 * belongs to and a copy's inherited entry is ignored, as is one of the other kind when an object is
 * met at another depth): immutable states share unchanged parts with their parent, so
 * fingerprinting a successor rehashes only the parts the step rebuilt. (A non-enumerable property,
 * which spread does not copy, costs `Object.defineProperty`: a quarter of the fingerprint's time.) The root (a new object for every successor, hashed
 * once) and the small parts below `CACHE_DEPTH` are not cached: caching costs more than it saves
 * there. (A WeakMap cache measured 40% slower, most of it in garbage collection.)
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
      const json = depth >= LEAF_DEPTH
      const hit = (v as { [FP]?: CachedFingerprint })[FP]
      if (hit !== undefined && hit.of === v && hit.json === json) return hit
      let result: Fingerprint
      if (json) {
        result = jsonFingerprint(v)
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
      if (depth >= 1 && depth <= CACHE_DEPTH)
        (v as { [FP]?: CachedFingerprint })[FP] = { hi: result.hi, lo: result.lo, of: v, json }
      return result
    }
    default:
      throw new TypeError(`cannot fingerprint a ${typeof v}`)
  }
}
