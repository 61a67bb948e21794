/**
 * The `iovcheck` command line as one function: argv in, exit code out, every line printed through
 * the Console service. `main.ts` runs it on the process (with signals and the real console); tests
 * run it in-process with a capturing console, so a corruption set of many inputs costs no process
 * per input.
 *
 * Bad usage (unknown flag, bad value) and bad input (unknown scenario, damaged file, unusable
 * output folder, a file system error while writing) print one line and exit 2; any other
 * unexpected exception prints one line and exits 70; never a stack trace. See `exit-codes.ts` for
 * every code.
 *
 * @module
 */
import * as NodeChildProcessSpawner from "@effect/platform-node-shared/NodeChildProcessSpawner"
import * as NodeFileSystem from "@effect/platform-node-shared/NodeFileSystem"
import * as NodePath from "@effect/platform-node-shared/NodePath"
import * as NodeStdio from "@effect/platform-node-shared/NodeStdio"
import * as NodeTerminal from "@effect/platform-node-shared/NodeTerminal"
import { Console, Effect, Layer } from "effect"
import { CliOutput, Command } from "effect/cli"
import { ExitCode, ExitCodeCell, exitWith, isSystemError } from "./exit-codes.ts"
import { exploreCommand } from "./explore.ts"
import { fuzzCommand } from "./fuzz.ts"
import { mergeCommand } from "./merge.ts"
import { replayCommand } from "./replay.ts"
import { reportCommand } from "./report.ts"
import { scenariosCommand } from "./scenarios.ts"
import { schemaCommand } from "./schema.ts"
import { sweepCommand } from "./sweep.ts"
import { verifyCommand } from "./verify.ts"
import { version } from "./version.ts"

/** The command tree. */
export const iovcheck = Command.make("iovcheck").pipe(
  Command.withDescription(
    "Property-based verification of I/O virtualization isolation and coherence. Exit codes: 0 as expected, 1 a finding or a verdict not as expected, 2 bad usage or input, 70 internal error, 130/143 interrupted by SIGINT/SIGTERM",
  ),
  Command.withSubcommands([
    verifyCommand,
    sweepCommand,
    exploreCommand,
    fuzzCommand,
    mergeCommand,
    replayCommand,
    reportCommand,
    scenariosCommand,
    schemaCommand,
  ]),
)

/** The Node implementations of what effect/cli needs (file system, path, stdio, terminal, child processes). */
export const nodeServices: Layer.Layer<Command.Environment> = Layer.provideMerge(
  NodeChildProcessSpawner.layer,
  Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeStdio.layer, NodeTerminal.layer),
)

/** Parse errors as one line on stderr instead of effect/cli's help page; help and version as usual. */
const oneLinePresenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
          `iovcheck: ${event.errors.map((e) => e.message.split("\n")[0]).join("; ")} (see ${[...event.commandPath, "--help"].join(" ")})`,
        )
      : CliOutput.defaultPresenter.present(event),
})

const firstLine = (u: unknown): string => (u instanceof Error ? u.message : String(u)).split("\n")[0] ?? ""

/**
 * Runs the CLI on `argv` (without node and the script) and records the exit code in `cell`; never
 * fails. Interruption (a signal) propagates: the caller decides its exit code, unless the command
 * handled the signal itself and set the code.
 */
export const runCli = (
  argv: ReadonlyArray<string>,
  cell: { code: number | undefined },
): Effect.Effect<void, never, Command.Environment> =>
  Command.runWith(iovcheck, { version })(argv).pipe(
    Effect.catchTag("UsageError", (e) =>
      Console.error(`iovcheck: ${e.message}`).pipe(Effect.andThen(exitWith(ExitCode.usage))),
    ),
    // effect/cli's own parse errors, already presented in one line.
    Effect.catch(() => exitWith(ExitCode.usage)),
    // A file system error met while writing (a disk full, a folder removed under a run) is the
    // environment's, exit 2; anything else is a bug of iovcheck, exit 70. One line either way.
    Effect.catchDefect((defect) =>
      isSystemError(defect)
        ? Console.error(`iovcheck: ${firstLine(defect)}`).pipe(Effect.andThen(exitWith(ExitCode.usage)))
        : Console.error(`iovcheck: internal error: ${firstLine(defect)}`).pipe(
            Effect.andThen(exitWith(ExitCode.internal)),
          ),
    ),
    Effect.provideService(ExitCodeCell, cell),
    Effect.provide(oneLinePresenter),
  )
