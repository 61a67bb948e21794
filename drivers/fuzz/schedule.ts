/**
 * The fuzzing schedule: which seed, scenario and trace length each round of each worker uses.
 * Seeds are derived deterministically from (base seed, shard, worker, round), so any finding can be
 * regenerated, and shards partition the seed space: every seed of shard I of N is congruent to
 * base + I - 1 modulo N, so N machines never repeat each other's work. Trace lengths follow a
 * schedule (short traces find shallow bugs fast, long ones reach deep bugs); half of each round's
 * traces are swarm traces (see `drivers/random.ts`).
 *
 * @module
 */

/** A shard of a CI matrix: index (1-based) of count. */
export interface Shard {
  readonly index: number
  readonly count: number
}

/** The trace lengths rounds cycle through. */
export const LENGTH_SCHEDULE: ReadonlyArray<number> = [25, 50, 100, 200]

/** The 32-bit seed of a round. Distinct for distinct (shard, worker, round) while `workers` is fixed. */
export const seedFor = (base: number, shard: Shard, workers: number, worker: number, round: number): number =>
  ((base + ((round * workers + worker) * shard.count + (shard.index - 1))) % 2 ** 32) | 0

/** Parses `I/N` (1 ≤ I ≤ N). */
export const parseShard = (text: string): Shard | undefined => {
  const m = /^(\d+)\/(\d+)$/.exec(text)
  if (m === null) return undefined
  const index = Number(m[1])
  const count = Number(m[2])
  return index >= 1 && index <= count ? { index, count } : undefined
}

/** Parses a duration like `90s`, `10m`, `1h`, `500ms`, in milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text)
  if (m === null) return undefined
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"]
  return Number(m[1]) * unit
}
