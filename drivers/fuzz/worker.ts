/**
 * A fuzzing worker thread: runs rounds of the random driver (seed, scenario and trace length from
 * `schedule.ts`) until its deadline or a stop message, and posts each violation it finds, shrunk,
 * as a counterexample file, plus progress counts. A crash of the search is posted with the seed
 * and scenario that regenerate it, and ends the worker.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import { type CounterexampleFile, counterexampleOf } from "../../counterexamples/counterexample-file.ts"
import { properties } from "../../properties/catalogue.ts"
import type { Scenario } from "../../scenarios/scenario.ts"
import { search } from "../random.ts"
import { LENGTH_SCHEDULE, type Shard, seedFor } from "./schedule.ts"

/** What the coordinator hands a worker. */
export interface WorkerInput {
  readonly scenarios: ReadonlyArray<Scenario>
  readonly base: number
  readonly shard: Shard
  readonly workers: number
  readonly worker: number
  readonly deadline: number
  readonly runsPerRound: number
  readonly version: string
}

/** What a worker posts. */
export type WorkerMessage =
  | { readonly _tag: "Progress"; readonly runs: number; readonly commands: number }
  | {
      readonly _tag: "Finding"
      readonly file: CounterexampleFile
      readonly maxSteps: number
      readonly swarm: boolean
      readonly round: number
    }
  | { readonly _tag: "Crash"; readonly message: string; readonly scenario: string; readonly seed: number }
  | { readonly _tag: "Done" }

const input = workerData as WorkerInput
let stopped = false
parentPort?.on("message", () => {
  stopped = true
})
const post = (m: WorkerMessage) => parentPort?.postMessage(m)

for (let round = 0; !stopped && Date.now() < input.deadline; round++) {
  const scenario = input.scenarios[(round + input.worker) % input.scenarios.length] as Scenario
  const seed = seedFor(input.base, input.shard, input.workers, input.worker, round)
  const maxSteps = LENGTH_SCHEDULE[round % LENGTH_SCHEDULE.length] as number
  try {
    const r = search(scenario, {
      runs: input.runsPerRound,
      seed,
      maxSteps,
      properties,
      now: () => performance.now(),
      fastCheckShrink: false,
    })
    post({ _tag: "Progress", runs: r.runs, commands: r.commands })
    for (const v of r.violations)
      post({
        _tag: "Finding",
        maxSteps,
        swarm: v.swarm,
        round,
        file: counterexampleOf(scenario, v, input.version),
      })
  } catch (e) {
    post({ _tag: "Crash", message: e instanceof Error ? e.message : String(e), scenario: scenario.id, seed })
    break
  }
  // Let a stop message in between rounds.
  await new Promise((resolve) => setImmediate(resolve))
}
post({ _tag: "Done" })
