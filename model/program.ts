/**
 * Programs: a multi-step procedure is a list of named atomic operations run one per step by a
 * program counter (DESIGN.md §9, "designs as programs"). Each procedure has its own vocabulary of
 * operations (in the procedure's module); this module holds what they share: how an operation is
 * written in a scenario file and how a program is printed.
 *
 * An operation is written as its name alone, taking its default parameters (`"wait-atc"`), or as
 * an object naming it with parameters (`{ "op": "invalidate-iotlb", "scope": "domain" }`). Programs
 * are constant data of the scenario: `step` reads them from the `Programs` service
 * (`programs.ts`), and a procedure in flight holds only its program counter.
 *
 * @module
 */
import { Schema } from "effect"

/** The Schema of one operation as written: `name`, or `{ op: name, ...params }` (each parameter optional). */
export const opInput = <const N extends string, const F extends Schema.Struct.Fields>(name: N, params: F) =>
  Schema.Union([Schema.Literal(name), Schema.Struct({ op: Schema.Literal(name), ...params })])

/** An operation after normalization: its name and every parameter. */
export interface Op {
  readonly op: string
}

/** The name of an operation as written. */
export const opName = (written: string | { readonly op: string }): string =>
  typeof written === "string" ? written : written.op

/** The parameters of a written operation (none for the bare name). */
export const opParams = (written: string | { readonly op: string }): Readonly<Record<string, unknown>> => {
  if (typeof written === "string") return {}
  const { op: _op, ...params } = written
  return params
}

/** `invalidate-iotlb(scope=range)`: an operation with its parameters, as reports print it. */
export const formatOp = (o: Op): string => {
  const { op, ...params } = o as Op & Record<string, unknown>
  const shown = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`)
  return shown.length === 0 ? op : `${op}(${shown.join(", ")})`
}

/** A program on one line: `clear-pte → invalidate-iotlb(scope=range) → …`. */
export const formatProgram = (ops: ReadonlyArray<Op>): string => ops.map(formatOp).join(" → ")

/** How many operations of a program are named `name`. */
export const countOps = (ops: ReadonlyArray<Op>, name: string): number => ops.filter((o) => o.op === name).length

/**
 * The index of the first `wait` operation with no `send` before it, or -1: a wait for completions
 * nothing requested can never be satisfied by this program (validation rejects it).
 */
export const waitWithoutSend = (ops: ReadonlyArray<Op>, wait: string, send: string): number => {
  const firstSend = ops.findIndex((o) => o.op === send)
  return ops.findIndex((o, i) => o.op === wait && (firstSend < 0 || i < firstSend))
}
