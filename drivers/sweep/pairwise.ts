/**
 * Pairwise (2-way) covering arrays under constraints: a small set of rows, each an assignment of
 * one level to every factor, such that every pair of levels of two factors that some valid row can
 * hold appears in at least one chosen row (Cohen et al., "The AETG System", IEEE TSE 1997; the
 * covering-array criterion of combinatorial testing, NIST SP 800-142 §2).
 *
 * The generator is the greedy one over the full valid grid: enumerate every valid row (the grids
 * iovcheck sweeps have some tens of thousands), then repeatedly take the row that covers the most
 * pairs not yet covered (ties: the first in enumeration order), until every coverable pair is
 * covered. Deterministic; the result is not minimal, but within a small factor of it (greedy set
 * cover).
 *
 * Shapes: a factor is `{ name, levels }` with levels as plain values; a row is an array of level
 * indexes, one per factor in factor order.
 *
 * @module
 */

/** A factor of the grid: its name and its levels (any plain values). */
export interface Factor<L = unknown> {
  readonly name: string
  readonly levels: ReadonlyArray<L>
}

/** One row: for each factor (in order), the index of its level. */
export type Row = ReadonlyArray<number>

/** Every row of the full grid that `valid` accepts, in odometer order (last factor fastest). */
export const fullGrid = (factors: ReadonlyArray<Factor>, valid: (row: Row) => boolean): ReadonlyArray<Row> => {
  const rows: Array<Row> = []
  const row = factors.map(() => 0)
  const visit = (i: number): void => {
    if (i === factors.length) {
      if (valid(row)) rows.push([...row])
      return
    }
    const levels = (factors[i] as Factor).levels.length
    for (let l = 0; l < levels; l++) {
      row[i] = l
      visit(i + 1)
    }
  }
  visit(0)
  return rows
}

/** Numbers every pair (factor a at level la, factor b at level lb), a < b, densely from 0. */
const pairIndexer = (factors: ReadonlyArray<Factor>) => {
  const sizes = factors.map((f) => f.levels.length)
  const offset: Array<Array<number>> = sizes.map(() => [])
  let total = 0
  for (let a = 0; a < sizes.length; a++)
    for (let b = a + 1; b < sizes.length; b++) {
      ;(offset[a] as Array<number>)[b] = total
      total += (sizes[a] as number) * (sizes[b] as number)
    }
  const pairsOf = (row: Row): Int32Array => {
    const out = new Int32Array((row.length * (row.length - 1)) / 2)
    let k = 0
    for (let a = 0; a < row.length; a++)
      for (let b = a + 1; b < row.length; b++)
        out[k++] =
          ((offset[a] as Array<number>)[b] as number) + (row[a] as number) * (sizes[b] as number) + (row[b] as number)
    return out
  }
  return { total, pairsOf }
}

/**
 * A pairwise covering array of the valid grid: rows (a subset of `fullGrid`) such that every pair
 * of levels that occurs in some valid row occurs in a chosen row.
 */
export const pairwise = (factors: ReadonlyArray<Factor>, valid: (row: Row) => boolean): ReadonlyArray<Row> => {
  const grid = fullGrid(factors, valid)
  const { total, pairsOf } = pairIndexer(factors)
  const rowPairs = grid.map(pairsOf)
  const uncovered = new Uint8Array(total)
  let remaining = 0
  for (const ps of rowPairs)
    for (const p of ps)
      if (uncovered[p] === 0) {
        uncovered[p] = 1
        remaining++
      }
  const chosen: Array<Row> = []
  while (remaining > 0) {
    let best = -1
    let bestGain = 0
    for (let r = 0; r < grid.length; r++) {
      const ps = rowPairs[r] as Int32Array
      let gain = 0
      for (let i = 0; i < ps.length; i++) gain += uncovered[ps[i] as number] as number
      if (gain > bestGain) {
        best = r
        bestGain = gain
      }
    }
    if (best < 0) break
    chosen.push(grid[best] as Row)
    for (const p of rowPairs[best] as Int32Array)
      if (uncovered[p] === 1) {
        uncovered[p] = 0
        remaining--
      }
  }
  return chosen
}

/** Whether every pair of levels that some row of `grid` holds occurs in some row of `rows`. */
export const coversAllPairs = (factors: ReadonlyArray<Factor>, grid: ReadonlyArray<Row>, rows: ReadonlyArray<Row>) => {
  const { pairsOf } = pairIndexer(factors)
  const covered = new Set(rows.flatMap((r) => [...pairsOf(r)]))
  return grid.every((r) => pairsOf(r).every((p) => covered.has(p)))
}
