/**
 * The `iovcheck` command line: `verify`, `sweep`, `explore`, `fuzz`, `merge`, `replay`, `report`, `scenarios`. Built with `effect/cli`; run by
 * `bin/iovcheck.js`. Bad usage (unknown flag, bad value) and bad input (unknown scenario, damaged
 * file) print one line and exit 2.
 *
 * @module
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect, Exit } from "effect"
import { CliOutput, Command } from "effect/cli"
import { exploreCommand } from "./explore.ts"
import { fuzzCommand } from "./fuzz.ts"
import { mergeCommand } from "./merge.ts"
import { replayCommand } from "./replay.ts"
import { reportCommand } from "./report.ts"
import { scenariosCommand } from "./scenarios.ts"
import { sweepCommand } from "./sweep.ts"
import { ExitCode, exitWith } from "./usage-error.ts"
import { verifyCommand } from "./verify.ts"
import { version } from "./version.ts"

const iovcheck = Command.make("iovcheck").pipe(
  Command.withDescription("Property-based verification of I/O virtualization isolation and coherence"),
  Command.withSubcommands([
    verifyCommand,
    sweepCommand,
    exploreCommand,
    fuzzCommand,
    mergeCommand,
    replayCommand,
    reportCommand,
    scenariosCommand,
  ]),
)

/** Parse errors as one line on stderr instead of effect/cli's help page; help and version as usual. */
const oneLinePresenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
          `iovcheck: ${event.errors.map((e) => e.message).join("; ")} (see ${[...event.commandPath, "--help"].join(" ")})`,
        )
      : CliOutput.defaultPresenter.present(event),
})

const program = Command.runWith(iovcheck, { version })(process.argv.slice(2)).pipe(
  Effect.catchTag("UsageError", (e) =>
    Console.error(`iovcheck: ${e.message}`).pipe(Effect.andThen(exitWith(ExitCode.usage))),
  ),
  Effect.catch(() => exitWith(ExitCode.usage)),
  Effect.provide(oneLinePresenter),
  Effect.provide(NodeServices.layer),
)

// A command that handles SIGINT/SIGTERM itself (fuzz) sets its exit code before the runtime's
// interruption lands; that code wins over the runtime's 130.
NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) =>
    onExit(typeof process.exitCode === "number" ? process.exitCode : Exit.isSuccess(exit) ? 0 : 130),
})
