/**
 * How a command ends: its exit code, and the bad-usage error that prints one line.
 *
 * Exit codes (a public interface CI pipelines read):
 * - **0**: every verdict as expected (fuzz: no unexplained finding, regression or crash);
 * - **1**: a finding, or a verdict not as expected;
 * - **2**: bad usage or input (unknown flag or scenario, damaged file, unusable output folder, a
 *   file system error while writing): `iovcheck: <message>` on one line of stderr, no stack trace,
 *   no verdict;
 * - **70**: an internal error of iovcheck (one line; please report it);
 * - **130** / **143**: interrupted by SIGINT / SIGTERM (fuzz and explore write what they completed
 *   first).
 *
 * @module
 */
import { Context, Data, Effect } from "effect"

/** A bad-usage/bad-input error with its one-line message. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/** Exit codes of every command (see the module doc). */
export const ExitCode = { ok: 0, finding: 1, usage: 2, internal: 70, sigint: 130, sigterm: 143 } as const

/** The exit code of an interruption by `signal`. */
export const signalExitCode = (signal: NodeJS.Signals): number =>
  signal === "SIGTERM" ? ExitCode.sigterm : ExitCode.sigint

/** Where a run of the CLI records its exit code (one cell per run; `undefined` until set). */
export class ExitCodeCell extends Context.Service<ExitCodeCell, { code: number | undefined }>()(
  "iovcheck/cli/ExitCodeCell",
) {}

/** Sets the run's exit code (the command's last act). */
export const exitWith = (code: number): Effect.Effect<void, never, ExitCodeCell> =>
  Effect.gen(function* () {
    const cell = yield* ExitCodeCell
    cell.code = code
  })

/** Whether `u` is a Node system error (a failed syscall: unwritable folder, no such file), which is bad input (exit 2). */
export const isSystemError = (u: unknown): boolean =>
  u instanceof Error && typeof (u as NodeJS.ErrnoException).code === "string" && "syscall" in u
