/**
 * `iovcheck replay FILE [--json]`: decodes a counterexample file with its Schema, re-executes its
 * commands under its inline scenario, prints each step (command, outcome, events, the state that
 * changed), then the violation with its property statement. Exit 1 when a violation occurs (the
 * recorded one at the same step, or a different one: the text says which), 0 when the trace now
 * runs clean (a fixed model), 2 when the file cannot be used (one line naming what is wrong).
 *
 * @module
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { readCounterexampleFile } from "../counterexamples/read-counterexample.ts"
import { replay } from "../drivers/replay.ts"
import { renderReplay, replayDocument, replayDocumentJson } from "../reports/replay-report.ts"
import { ExitCode, exitWith, UsageError } from "./exit-codes.ts"

/** Reads and decodes a counterexample file; any problem is a one-line `UsageError`. */
export const readCounterexample = (path: string): Effect.Effect<CounterexampleFile, UsageError> =>
  Effect.try({
    try: () => readCounterexampleFile(path),
    catch: (e) => new UsageError({ message: e instanceof Error ? e.message : String(e) }),
  })

/** The `replay` command. */
export const replayCommand = Command.make(
  "replay",
  {
    file: Argument.String("file").pipe(
      Argument.withDescription("A counterexample file (written by verify, explore or fuzz)"),
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("Print the replay as a JSON document"),
      Flag.withDefault(false),
    ),
  },
  ({ file, json }) =>
    Effect.gen(function* () {
      const cx = yield* readCounterexample(file)
      const result = replay(cx)
      yield* Console.log(json ? replayDocumentJson(replayDocument(cx, result)) : renderReplay(cx, result))
      yield* exitWith(result.verdict === "clean" ? ExitCode.ok : ExitCode.finding)
    }),
).pipe(
  Command.withShortDescription("Re-execute a saved counterexample step by step"),
  Command.withDescription(
    "Re-execute a saved counterexample step by step. Exit 1 a violation occurs (reproduced or different), 0 the trace runs clean (fixed), 2 the file cannot be used (damaged, foreign, or naming IDs outside its scenario)",
  ),
)
