/**
 * Bad usage or bad input (unknown scenario, damaged file, impossible flag value): the CLI prints
 * `iovcheck: <message>` on one line to stderr and exits 2, never with a stack trace.
 *
 * @module
 */
import { Data, Effect } from "effect"

/** A bad-usage/bad-input error with its one-line message. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/** Exit codes of every command: 0 as expected, 1 a finding (or a surprise), 2 bad usage or input. */
export const ExitCode = { ok: 0, finding: 1, usage: 2 } as const

/** Sets the process's exit code (the CLI's last act; `main.ts` exits with it). */
export const exitWith = (code: number): Effect.Effect<void> =>
  Effect.sync(() => {
    process.exitCode = code
  })
