/**
 * Flags several commands share, defined once so they read and parse the same everywhere.
 *
 * @module
 */
import { Effect } from "effect"
import { Flag } from "effect/cli"
import { UsageError } from "./exit-codes.ts"

/** `--scenario ID_OR_FILE`, repeatable; none means the whole catalogue. */
export const scenarioFlag = Flag.String("scenario").pipe(
  Flag.withDescription("A catalogue id or a scenario file; repeat for several (default: the whole catalogue)"),
  Flag.atLeast(0),
)

/** `--out DIR` with a command's default folder (each command has its own, so none overwrites another's). */
export const outFlag = (fallback: string) =>
  Flag.String("out").pipe(
    Flag.withDescription(`Output folder, checked and created before any work (default ${fallback})`),
    Flag.withDefault(fallback),
  )

/** `--json`. */
export const jsonFlag = (description: string) =>
  Flag.Boolean("json").pipe(Flag.withDescription(description), Flag.withDefault(false))

/** A flag value that must be a positive integer, or a `UsageError` naming the flag. */
export const positiveInt = (name: string, n: number): Effect.Effect<number, UsageError> =>
  Number.isInteger(n) && n > 0
    ? Effect.succeed(n)
    : Effect.fail(new UsageError({ message: `--${name} must be a positive integer, got ${n}` }))

/** A flag value that must be a non-negative integer (0 turns something off), or a `UsageError` naming the flag. */
export const nonNegativeInt = (name: string, n: number): Effect.Effect<number, UsageError> =>
  Number.isInteger(n) && n >= 0
    ? Effect.succeed(n)
    : Effect.fail(new UsageError({ message: `--${name} must be a non-negative integer, got ${n}` }))
