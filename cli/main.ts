/**
 * The process entry of `iovcheck` (run by `bin/iovcheck.js`): runs `app.ts`'s CLI on the process's
 * argv with Node's services, and exits with the code the command set. SIGINT/SIGTERM interrupt a
 * command that does not handle them itself (exit 130/143); `fuzz`, `explore` and `verify` stop their
 * work, write what they completed and set the code themselves. Under `npx`, the end of npm counts
 * as a SIGTERM (`signals.ts`), since npm does not pass the signal on.
 *
 * @module
 */
import * as NodeRuntime from "@effect/platform-node-shared/NodeRuntime"
import { Effect, Exit } from "effect"
import { nodeServices, runCli } from "./app.ts"
import { ExitCode, signalExitCode } from "./exit-codes.ts"
import { stopWhenNpxParentExits } from "./signals.ts"

const cell: { code: number | undefined } = { code: undefined }
let signal: NodeJS.Signals | undefined
for (const s of ["SIGINT", "SIGTERM"] as const)
  process.on(s, () => {
    signal ??= s
  })

stopWhenNpxParentExits()

NodeRuntime.runMain(runCli(process.argv.slice(2), cell).pipe(Effect.provide(nodeServices)), {
  disableErrorReporting: true,
  teardown: (exit, onExit) =>
    onExit(
      cell.code ??
        (signal !== undefined ? signalExitCode(signal) : Exit.isSuccess(exit) ? ExitCode.ok : ExitCode.internal),
    ),
})
