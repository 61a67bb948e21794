/**
 * The process entry of `npm run mutate` (`node dist/mutation/main.js`): runs the `mutate` command
 * (`cli.ts`) on the process's argv with Node's services, the CLI's one-line errors and exit codes.
 *
 * @module
 */
import * as NodeRuntime from "@effect/platform-node-shared/NodeRuntime"
import { Console, Effect, Exit } from "effect"
import { Command } from "effect/cli"
import { nodeServices } from "../cli/app.ts"
import { ExitCode, ExitCodeCell, exitWith } from "../cli/exit-codes.ts"
import { version } from "../cli/version.ts"
import { mutateCommand } from "./cli.ts"

const cell: { code: number | undefined } = { code: undefined }

const program = Command.runWith(mutateCommand, { version })(process.argv.slice(2)).pipe(
  Effect.catchTag("UsageError", (e) =>
    Console.error(`iovcheck mutate: ${e.message}`).pipe(Effect.andThen(exitWith(ExitCode.usage))),
  ),
  Effect.catch(() => exitWith(ExitCode.usage)),
  Effect.catchDefect((defect) =>
    Console.error(
      `iovcheck mutate: internal error: ${(defect instanceof Error ? defect.message : String(defect)).split("\n")[0]}`,
    ).pipe(Effect.andThen(exitWith(ExitCode.internal))),
  ),
  Effect.provideService(ExitCodeCell, cell),
  Effect.provide(nodeServices),
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => onExit(cell.code ?? (Exit.isSuccess(exit) ? ExitCode.ok : ExitCode.internal)),
})
