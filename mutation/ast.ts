/**
 * The syntax tree the mutant generator reads: a TypeScript module parsed by `@babel/parser` (with
 * node offsets, so a mutant is a text edit of the original source and its diff keeps the file's
 * formatting), and a walk that gives every node with its ancestors.
 *
 * @module
 */
import { parse } from "@babel/parser"
import type * as t from "@babel/types"

/** Parses a TypeScript module; a syntax error throws (the model always parses). */
export const parseModule = (source: string): t.File =>
  parse(source, { sourceType: "module", plugins: ["typescript"], ranges: false })

/** Whether a value is a syntax tree node. */
const isNode = (value: unknown): value is t.Node =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"

/** Keys of a node that hold no child nodes (positions and comments). */
const SKIPPED_KEYS: ReadonlySet<string> = new Set([
  "loc",
  "start",
  "end",
  "leadingComments",
  "trailingComments",
  "innerComments",
  "extra",
])

/** The child nodes of a node, in source order. */
export const childrenOf = (node: t.Node): ReadonlyArray<t.Node> => {
  const children: Array<t.Node> = []
  for (const [key, value] of Object.entries(node)) {
    if (SKIPPED_KEYS.has(key)) continue
    if (Array.isArray(value)) for (const v of value) if (isNode(v)) children.push(v)
    if (isNode(value)) children.push(value)
  }
  return children.sort((a, b) => (a.start ?? 0) - (b.start ?? 0))
}

/**
 * Visits every node of `root` depth-first in source order with its ancestors (the nearest last).
 * Type annotations are visited too; the operators ignore them.
 */
export const walk = (
  root: t.Node,
  visit: (node: t.Node, ancestors: ReadonlyArray<t.Node>) => void,
  ancestors: Array<t.Node> = [],
): void => {
  visit(root, ancestors)
  ancestors.push(root)
  for (const child of childrenOf(root)) walk(child, visit, ancestors)
  ancestors.pop()
}

/**
 * The name of the innermost named function around a node: `advanceTeardown` for a statement in
 * `export const advanceTeardown = (…) => {…}`; `<module>` at the top level. Callbacks and other
 * values take their enclosing function's name.
 */
export const enclosingName = (ancestors: ReadonlyArray<t.Node>): string => {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i] as t.Node
    if (
      a.type === "VariableDeclarator" &&
      a.id.type === "Identifier" &&
      a.init != null &&
      (unwrapTs(a.init).type === "ArrowFunctionExpression" || unwrapTs(a.init).type === "FunctionExpression")
    )
      return a.id.name
    if (a.type === "FunctionDeclaration" && a.id !== null && a.id !== undefined) return a.id.name
    if ((a.type === "ClassMethod" || a.type === "ObjectMethod") && a.key.type === "Identifier") return a.key.name
  }
  return "<module>"
}

/** The source text of a node. */
export const textOf = (source: string, node: t.Node): string => source.slice(node.start ?? 0, node.end ?? 0)

/** Strips `as` / `satisfies` / non-null wrappers: `{ op: "x" } as const` is the object. */
export const unwrapTs = (node: t.Node): t.Node =>
  node.type === "TSAsExpression" || node.type === "TSSatisfiesExpression" || node.type === "TSNonNullExpression"
    ? unwrapTs(node.expression)
    : node.type === "ParenthesizedExpression"
      ? unwrapTs(node.expression)
      : node
