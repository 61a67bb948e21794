/**
 * A benchmark worker (figure 5, fuzz scaling): runs the random driver on one scenario with rotating
 * seeds for `ms` milliseconds twice, and posts its commands per second over each: `cold` (from its
 * start, while V8 still compiles the model) and `steady` (after).
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { resolveScenario } from "../scenarios/catalogue.ts"

const { scenario, ms, seed } = workerData as { scenario: string; ms: number; seed: number }
const s = resolveScenario(scenario)
let round = 0
const commandsPerSecond = (): number => {
  const started = performance.now()
  const until = started + ms
  let commands = 0
  for (; performance.now() < until; round++)
    commands += search(s, {
      runs: 50,
      seed: seed * 1000 + round,
      maxSteps: 100,
      properties,
      now: () => performance.now(),
    }).commands
  return (commands / (performance.now() - started)) * 1000
}
const cold = commandsPerSecond()
const steady = commandsPerSecond()
parentPort?.postMessage({ cold, steady })
