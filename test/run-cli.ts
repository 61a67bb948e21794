/**
 * Runs the iovcheck CLI in-process (`cli/app.ts`'s `runCli` with Node's services and a console that
 * captures what it prints): argv in; exit code, stdout and stderr out. A corruption set of many
 * inputs costs no process per input. Commands that start worker threads (fuzz, a real explore)
 * are still run through `bin/iovcheck.js` by the tests that need them.
 */
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import { Console, Effect } from "effect"
import { nodeServices, runCli } from "../cli/app.ts"

/** What a run printed and its exit code. */
export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const sink = (append: (s: string) => void) =>
  new Writable({
    write(chunk, _encoding, done) {
      append(String(chunk))
      done()
    },
  })

/** Runs `iovcheck ...argv` in this process. */
export const runInProcess = async (...argv: ReadonlyArray<string>): Promise<CliRun> => {
  let stdout = ""
  let stderr = ""
  const console = new NodeConsole({
    stdout: sink((s) => {
      stdout += s
    }),
    stderr: sink((s) => {
      stderr += s
    }),
  })
  const cell: { code: number | undefined } = { code: undefined }
  await Effect.runPromise(
    runCli(argv, cell).pipe(Effect.provideService(Console.Console, console), Effect.provide(nodeServices)),
  )
  return { code: cell.code ?? 0, stdout, stderr }
}
