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
    ],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
