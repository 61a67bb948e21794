/**
 * A benchmark worker (figure 5, fuzz scaling): runs the random driver on one scenario with rotating
 * seeds until its time budget ends, and posts the number of commands it executed.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import { search } from "../drivers/random.ts"
import { properties } from "../properties/catalogue.ts"
import { resolveScenario } from "../scenarios/catalogue.ts"

const { scenario, ms, seed } = workerData as { scenario: string; ms: number; seed: number }
const s = resolveScenario(scenario)
const until = performance.now() + ms
let commands = 0
for (let round = 0; performance.now() < until; round++)
  commands += search(s, {
    runs: 50,
    seed: seed * 1000 + round,
    maxSteps: 100,
    properties,
    now: () => performance.now(),
  }).commands
parentPort?.postMessage({ commands })
