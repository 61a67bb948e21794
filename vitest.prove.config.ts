import { defineConfig } from "vitest/config"

/**
 * `npm run prove`: the deep pins of the catalogue (issue 19), too slow for `npm test`: each safe
 * scenario's bounded `proof` and each unsafe scenario's `shortest` counterexample lengths,
 * re-derived by the parallel explorer on every core. Run nightly and after a model change.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.prove.ts"],
    maxWorkers: 1,
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
})
