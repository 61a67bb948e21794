import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: [
      "test/**/*.test.ts",
      "model/**/*.test.ts",
      "properties/**/*.test.ts",
      "shrinkers/**/*.test.ts",
      "drivers/**/*.test.ts",
      "reports/**/*.test.ts",
      "counterexamples/**/*.test.ts",
      "scenarios/**/*.test.ts",
      "cli/**/*.test.ts",
      "mutation/**/*.test.ts",
    ],
    // Both cores: the scenario, fuzz and CLI files are CPU-bound and independent (the default
    // leaves one core to the main thread, which sits idle here).
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
