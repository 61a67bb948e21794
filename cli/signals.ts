/**
 * Stopping a long command cleanly on SIGINT or SIGTERM: the command listens while it works, stops
 * its search at the next check, writes what it completed, and exits with the code of the signal
 * (`exit-codes.ts`) or its documented one. A search running synchronously on the main thread never
 * lets a signal handler run, so `explore` searches in a worker thread and `verify` lets the event
 * loop turn between scenarios.
 *
 * @module
 */
import { Effect } from "effect"

/** The first SIGINT/SIGTERM received while listening; `dispose` stops listening. */
export interface StopSignal {
  readonly received: () => NodeJS.Signals | undefined
  readonly dispose: () => void
}

/** Listens for SIGINT and SIGTERM; `onSignal` runs on the first one. */
export const listenForStop = (onSignal: (signal: NodeJS.Signals) => void = () => {}): StopSignal => {
  let received: NodeJS.Signals | undefined
  const handler = (signal: NodeJS.Signals) => {
    if (received !== undefined) return
    received = signal
    onSignal(signal)
  }
  process.on("SIGINT", handler)
  process.on("SIGTERM", handler)
  return {
    received: () => received,
    dispose: () => {
      process.removeListener("SIGINT", handler)
      process.removeListener("SIGTERM", handler)
    },
  }
}

/** Lets the event loop run pending callbacks (signal handlers among them), then resumes. */
export const turnEventLoop: Effect.Effect<void> = Effect.promise(
  () => new Promise<void>((resolve) => setImmediate(resolve)),
)

/**
 * Under `npx iovcheck` (npm exec), SIGTERM to npx ends npm and its `sh -c`, but not this process,
 * which would run on, orphaned, for its whole budget. So when npm exec started us
 * (`npm_command=exec`), a parent that goes away counts as a SIGTERM: the command stops as it does
 * for the signal itself. Started any other way (a shell, `nohup`, `exec` in a container), the
 * parent's exit means nothing. Polls once a second; the timer never keeps the process alive.
 */
export const stopWhenNpxParentExits = (): void => {
  if (process.env.npm_command !== "exec") return
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(timer)
    process.kill(process.pid, "SIGTERM")
  }, 1000)
  timer.unref()
}
