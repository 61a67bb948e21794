/**
 * Decoding a JSON input file (a scenario, a counterexample file) with its Schema, for the CLI's
 * "bad input" errors: a damaged or foreign file gets one line naming what is wrong, never a stack
 * trace and never a silently ignored field.
 *
 * - JSON syntax: `not valid JSON: line 3, column 2: expected a property name in double quotes` (the position of the
 *   first error, found by `jsonc-parser` in strict JSON mode); a file that starts with a UTF-8 byte
 *   order mark gets a line that says so.
 * - Schema: every object is strict (`onExcessProperty: "error"`), so a misspelt key at any level
 *   (`"atcInvalidaton"` in `policy`, `"pasdi"` in a command) is an error, not a default: `at
 *   ["policy"]["atcInvalidaton"]: unknown key "atcInvalidaton" (nearest: atcInvalidation, …)`.
 *   Issues are folded to one line each (`at ["commands"][3]["iova"]: Expected number`), joined by "; ".
 * - A tagged union (the commands, interrupt messages) that matches no member: `unknown _tag
 *   "HostAsignFunction" (nearest: HostAssignFunction, HostAssignSubdevice)`, or `missing "_tag"`,
 *   instead of the list of every member.
 *
 * @module
 */
import { Cause, Exit, Schema, SchemaIssue } from "effect"
import type * as SchemaAST from "effect/SchemaAST"
import jsonc from "jsonc-parser"

/** The result of decoding: the value, or one line naming what is wrong. */
export type Decoded<A> =
  | { readonly _tag: "Ok"; readonly value: A }
  | { readonly _tag: "Error"; readonly message: string }

const PARSE_ERRORS: Readonly<Record<string, string>> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' between values",
  CloseBraceExpected: "expected ',' or '}'",
  CloseBracketExpected: "expected ',' or ']'",
  EndOfFileExpected: "unexpected text after the JSON value",
  InvalidCommentToken: "comments are not JSON",
  UnexpectedEndOfComment: "comments are not JSON",
  UnexpectedEndOfString: "unterminated string (a line break inside a string must be written \\n)",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in a string",
}

const lineColumn = (text: string, offset: number): string => {
  const before = text.slice(0, offset)
  const line = before.split("\n").length
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`
}

/** Parses JSON text; a syntax error is one line with its position. */
export const parseJsonText = (text: string): Decoded<unknown> => {
  if (text.charCodeAt(0) === 0xfeff)
    return {
      _tag: "Error",
      message:
        "not valid JSON: line 1, column 1: the file starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without BOM",
    }
  try {
    return { _tag: "Ok", value: JSON.parse(text) as unknown }
  } catch (e) {
    if (text.trim().length === 0) return { _tag: "Error", message: "not valid JSON: the file is empty" }
    const errors: Array<jsonc.ParseError> = []
    jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
    const first = errors[0]
    if (first === undefined) return { _tag: "Error", message: `not valid JSON (${(e as Error).message})` }
    const code = jsonc.printParseErrorCode(first.error)
    const found = first.length > 0 ? ` ${JSON.stringify(text.slice(first.offset, first.offset + first.length))}` : ""
    const cutShort =
      first.offset >= text.trimEnd().length ||
      (code === "UnexpectedEndOfString" && !text.slice(first.offset).includes("\n"))
    const what = cutShort
      ? "unexpected end of file (is it cut short?)"
      : `${PARSE_ERRORS[code] ?? code}${code === "InvalidSymbol" ? found : ""}`
    return { _tag: "Error", message: `not valid JSON: ${lineColumn(text, first.offset)}: ${what}` }
  }
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((k) => (typeof k === "number" ? `[${k}]` : `[${JSON.stringify(String(k))}]`)).join("")

const at = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>(
    (v, k) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    root,
  )

/** The `_tag` literal of each member of a union of tagged structs, or undefined for another union. */
const unionTags = (ast: SchemaAST.Union): ReadonlyArray<string> | undefined => {
  const tags: Array<string> = []
  for (const member of ast.types) {
    if (member._tag !== "Objects") return undefined
    const tag = member.propertySignatures.find((p) => p.name === "_tag")?.type
    if (tag?._tag !== "Literal" || typeof tag.literal !== "string") return undefined
    tags.push(tag.literal)
  }
  return tags
}

/** Edit distance, to suggest the nearest known tags for a misspelt one. */
const distance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      )
    row = next
  }
  return row[b.length] ?? 0
}

/** The known names nearest to `name`, best first (at most `n`). */
export const nearest = (name: string, known: ReadonlyArray<string>, n = 3): ReadonlyArray<string> =>
  [...known]
    .map((k) => ({ k, d: distance(name, k) }))
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, n)
    .map((x) => x.k)

const tagMessage = (value: unknown, tags: ReadonlyArray<string>): string => {
  const tag = typeof value === "object" && value !== null ? (value as Record<string, unknown>)._tag : undefined
  const some = tags.length <= 4 ? tags.join(", ") : `${tags.length} kinds, e.g. ${tags.slice(0, 3).join(", ")}`
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return `Expected an object with a "_tag" (${some})`
  if (tag === undefined) return `missing "_tag" (${some})`
  if (typeof tag !== "string") return `"_tag" must be a string (${some})`
  return `unknown _tag ${JSON.stringify(tag)} (nearest: ${nearest(tag, tags).join(", ")})`
}

const defaultFormat = SchemaIssue.makeFormatterDefault()

/** Folds the default formatter's "message\n  at [path]" lines into `[path, message]` pairs. */
const foldDefault = (text: string): Array<readonly [string, string]> => {
  const lines = text.split("\n")
  const out: Array<readonly [string, string]> = []
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim()
    const next = (lines[i + 1] ?? "").trim()
    if (line.length === 0) continue
    if (next.startsWith("at ")) {
      out.push([next.slice(3), line])
      i++
    } else out.push(["", line])
  }
  return out
}

const issueLines = (
  issue: SchemaIssue.Issue,
  path: ReadonlyArray<PropertyKey>,
  input: unknown,
): Array<readonly [string, string]> => {
  switch (issue._tag) {
    case "Pointer":
      return issueLines(issue.issue, [...path, ...issue.path], input)
    case "Composite":
      return issue.issues.flatMap((i) => issueLines(i, path, input))
    case "UnexpectedKey": {
      // The key is the last step of the path; the schema of the object holding it knows the others.
      const key = path[path.length - 1]
      const holder = issue.ast._tag === "Objects" ? issue.ast.propertySignatures.map((p) => String(p.name)) : []
      const known = holder.filter((k) => k !== "_tag")
      const hint = known.length > 0 && typeof key === "string" ? ` (nearest: ${nearest(key, known).join(", ")})` : ""
      return [[formatPath(path), `unknown key ${JSON.stringify(String(key))}${hint}`]]
    }
    case "AnyOf": {
      const tags = unionTags(issue.ast)
      if (tags === undefined) break
      const tag = at(input, [...path, "_tag"])
      // A known tag: the member of that tag failed; say why.
      if (typeof tag === "string" && tags.includes(tag) && issue.issues.length > 0)
        return issue.issues.flatMap((i) => issueLines(i, path, input))
      return [[formatPath(path), tagMessage(at(input, path), tags)]]
    }
  }
  return foldDefault(defaultFormat(issue)).map(([p, m]) => [formatPath(path) + p, m] as const)
}

/** One line for a Schema decoding failure of `input`: `at ["a"][0]: message`, issues joined by "; ". */
export const schemaErrorLine = (cause: Cause.Cause<unknown>, input: unknown): string => {
  const error = Cause.squash(cause)
  if (!Schema.isSchemaError(error)) return error instanceof Error ? error.message : String(error)
  return issueLines(error.issue, [], input)
    .map(([p, m]) => (p === "" ? m : `at ${p}: ${m}`))
    .join("; ")
}

/**
 * A decoder of JSON text for `schema`: syntax errors with their position, every failure as one
 * line, and unknown keys at any level rejected (`excessProperties: "ignore"` only for documents
 * iovcheck wrote itself and reads a part of, like a fuzz shard's summary).
 */
export const jsonDecoder = <S extends Schema.Decoder<unknown>>(
  schema: S,
  options: DecodeOptions = { excessProperties: "error" },
): ((text: string) => Decoded<S["Type"]>) => {
  const decode = valueDecoder(schema, options)
  return (text) => {
    const parsed = parseJsonText(text)
    return parsed._tag === "Error" ? parsed : decode(parsed.value)
  }
}

/** Whether unknown keys are an error (the default) or ignored. */
export interface DecodeOptions {
  readonly excessProperties: "error" | "ignore"
}

/** The Schema half of `jsonDecoder`: decodes an already parsed JSON value. */
export const valueDecoder = <S extends Schema.Decoder<unknown>>(
  schema: S,
  options: DecodeOptions = { excessProperties: "error" },
): ((value: unknown) => Decoded<S["Type"]>) => {
  const decode = Schema.decodeUnknownExit(schema, { onExcessProperty: options.excessProperties })
  return (value) => {
    const exit = decode(value)
    return Exit.isSuccess(exit)
      ? { _tag: "Ok", value: exit.value }
      : { _tag: "Error", message: schemaErrorLine(exit.cause, value) }
  }
}
