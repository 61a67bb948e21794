import { describe, expect, it } from "vitest"
import { explore } from "./bfs.ts"
import { twoPhaseCommit } from "./two-phase-commit.ts"

const now = () => performance.now()

describe("explorer calibration: TwoPhase.tla distinct-state counts", () => {
  it.each([
    [3, 288],
    [5, 8832],
    [7, 296448],
  ])("%i resource managers: %i distinct states, no TCConsistent violation", (n, states) => {
    const r = explore(twoPhaseCommit(n), { depth: 1000, maxStates: 10_000_000, now })
    expect(r.distinctStates).toBe(states)
    expect(r.stoppedBy).toBe("exhausted")
    expect(r.violations).toEqual([])
  })
})
