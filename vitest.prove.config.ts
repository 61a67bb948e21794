import { defineConfig } from "vitest/config"

/**
 * `npm run prove`: the deep checks, too slow for `npm test`: the catalogue's deep pins (issue 19:
 * each safe scenario's bounded `proof` and each unsafe scenario's `shortest` counterexample lengths,
 * re-derived by the parallel explorer on every core) and the random driver's reach of a bug no
 * trace shorter than 17 commands reaches (`deep-bug.prove.ts`). Run nightly and after a model change.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.prove.ts"],
    maxWorkers: 1,
    testTimeout: 10_800_000,
    hookTimeout: 600_000,
  },
})
