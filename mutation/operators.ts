/**
 * The mutant generator: semantic mutation operators over one TypeScript file of `model/`, each
 * mutant a text edit of the original source (so it builds like any edit and its diff is readable).
 *
 * - `drop-guard`: a precondition is removed: `if (…) return unchanged(state, rejected(…))` (or
 *   `faulted`/`waiting`), and `cond ? unchanged(…) : go(…)` becomes `go(…)`. The command then takes
 *   effect where the model refused it, or a procedure step stops waiting.
 * - `skip-invalidation`: a call of a cache invalidation (`invalidation-calls.ts`) is replaced by the
 *   value it returns when it drops nothing.
 * - `program-drop`, `program-swap`: an operation of a procedure's preset program (the op lists of
 *   `host/*.ts` and `nesting/guest-invalidation.ts`) is left out, or two neighbours trade places.
 * - `flip-comparison`: `===` ↔ `!==`, `<` → `>=`, `<=` → `>`, `>` → `<=`, `>=` → `<`; not in the
 *   tests of ordering comparators (`a < b ? -1 : …`), which only fix a canonical order.
 *
 * A mutant's id is stable while the file changes elsewhere: `file#function/operator/k`, the k-th
 * mutant of that operator in that function. Mutants whose edit would give the same file text as an
 * earlier one are left out.
 *
 * @module
 */
import type * as t from "@babel/types"
import { enclosingName, parseModule, textOf, unwrapTs, walk } from "./ast.ts"
import { INVALIDATION_CALLS } from "./invalidation-calls.ts"
import type { Mutant, OperatorId } from "./report-schema.ts"
import { EXCLUDED_FUNCTION } from "./scope.ts"

/** The negation of each comparison operator. */
export const FLIPPED: Readonly<Record<string, string>> = {
  "===": "!==",
  "!==": "===",
  "==": "!=",
  "!=": "==",
  "<": ">=",
  "<=": ">",
  ">": "<=",
  ">=": "<",
}

/** A returned value that refuses a command or makes a step wait: what a guard returns. */
const GUARD_RETURN = /^\s*(unchanged|rejected|faulted|waiting)\(/

/** Functions whose call builds an operation of a preset program. */
const OP_BUILDERS: ReadonlySet<string> = new Set(["waitAtcOp", "cacheInvalidationOp"])

/** An edit before it gets its id and position. */
interface Edit {
  readonly operator: OperatorId
  readonly node: t.Node
  readonly start: number
  readonly end: number
  readonly replacement: string
  readonly description: string
}

const shorten = (text: string, max = 90): string => {
  const one = text.replace(/\s+/g, " ").trim()
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`
}

/** The statement list a statement sits in directly (a block or the module body), if any. */
const inStatementList = (ancestors: ReadonlyArray<t.Node>): boolean => {
  const parent = ancestors[ancestors.length - 1]
  return parent?.type === "BlockStatement" || parent?.type === "Program"
}

/** Widens [start, end) to whole lines when nothing else shares them, so a removed statement leaves no blank line. */
const wholeLines = (source: string, start: number, end: number): { start: number; end: number } => {
  const lineStart = source.lastIndexOf("\n", start - 1) + 1
  const lineEnd = source.indexOf("\n", end)
  const before = source.slice(lineStart, start)
  const after = source.slice(end, lineEnd < 0 ? source.length : lineEnd)
  return before.trim() === "" && after.trim() === ""
    ? { start: lineStart, end: lineEnd < 0 ? source.length : lineEnd + 1 }
    : { start, end }
}

/** The returned expression of a guard's consequent: `return x` or `{ …; return x }`. */
const guardReturn = (consequent: t.Statement): t.Expression | undefined => {
  const last = consequent.type === "BlockStatement" ? consequent.body[consequent.body.length - 1] : consequent
  return last?.type === "ReturnStatement" && last.argument !== null && last.argument !== undefined
    ? last.argument
    : undefined
}

/** Whether an expression is a call that refuses or waits (`unchanged(…)`, `rejected(…)`, …). */
const isGuardValue = (source: string, node: t.Node): boolean => GUARD_RETURN.test(textOf(source, unwrapTs(node)))

/** An element of a preset program array: `{ op: "…", … }`, an operation builder's call, a name or a spread. */
const opLabel = (source: string, element: t.Node): string | undefined => {
  const e = unwrapTs(element)
  if (e.type === "ObjectExpression") {
    const op = e.properties.find(
      (p): p is t.ObjectProperty =>
        p.type === "ObjectProperty" &&
        ((p.key.type === "Identifier" && p.key.name === "op") ||
          (p.key.type === "StringLiteral" && p.key.value === "op")),
    )
    return op?.value.type === "StringLiteral" ? op.value.value : undefined
  }
  if (e.type === "CallExpression" && e.callee.type === "Identifier" && OP_BUILDERS.has(e.callee.name)) {
    const first = e.arguments[0]
    return first?.type === "StringLiteral" ? first.value : e.callee.name
  }
  if (e.type === "Identifier") return e.name
  if (e.type === "SpreadElement") return `...${shorten(textOf(source, e.argument), 60)}`
  return undefined
}

/** Whether an array literal is a preset program: every element an operation, at least one `{ op: "…" }`. */
const programElements = (source: string, node: t.ArrayExpression): ReadonlyArray<t.Node> | undefined => {
  const elements = node.elements.filter((e): e is NonNullable<typeof e> => e !== null)
  if (elements.length === 0 || elements.length !== node.elements.length) return undefined
  if (!elements.every((e) => opLabel(source, e) !== undefined)) return undefined
  if (!elements.some((e) => unwrapTs(e).type === "ObjectExpression")) return undefined
  return elements
}

/** Whether an array sits in `...(cond ? [this] : [])`: dropping its one element is the spread's drop. */
const inConditionalSpread = (ancestors: ReadonlyArray<t.Node>): boolean => {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i] as t.Node
    if (a.type === "SpreadElement") return true
    if (a.type !== "ConditionalExpression" && a.type !== "ParenthesizedExpression" && a.type !== "TSAsExpression")
      return false
  }
  return false
}

/** `±1` as a literal. */
const isUnit = (node: t.Node): boolean =>
  (node.type === "NumericLiteral" && node.value === 1) ||
  (node.type === "UnaryExpression" && node.operator === "-" && isUnit(node.argument))

/**
 * Whether a comparison is the test of an ordering comparator (`a.rid < b.rid ? -1 : …`): it fixes
 * the canonical order of a collection that every reader looks up by key, so flipping it reorders
 * without changing what the model does; such comparisons are not mutated.
 */
const isOrderingTest = (node: t.Node, ancestors: ReadonlyArray<t.Node>): boolean => {
  const parent = ancestors[ancestors.length - 1]
  return parent?.type === "ConditionalExpression" && parent.test === node && isUnit(parent.consequent)
}

/** The edits of every operator at one node. */
const editsAt = (source: string, node: t.Node, ancestors: ReadonlyArray<t.Node>): ReadonlyArray<Edit> => {
  const edits: Array<Edit> = []
  const start = node.start ?? 0
  const end = node.end ?? 0
  switch (node.type) {
    case "IfStatement": {
      const value = node.alternate == null ? guardReturn(node.consequent) : undefined
      if (value === undefined || !isGuardValue(source, value)) break
      const span = inStatementList(ancestors) ? wholeLines(source, start, end) : { start, end }
      edits.push({
        operator: "drop-guard",
        node,
        ...span,
        replacement: inStatementList(ancestors) ? "" : "{}",
        description: `drop the guard \`if (${shorten(textOf(source, node.test), 70)}) return ${shorten(textOf(source, value), 50)}\``,
      })
      break
    }
    case "ConditionalExpression": {
      const refusesThen = isGuardValue(source, node.consequent)
      const refusesElse = isGuardValue(source, node.alternate)
      if (refusesThen === refusesElse) break
      const kept = refusesThen ? node.alternate : node.consequent
      edits.push({
        operator: "drop-guard",
        node,
        start,
        end,
        replacement: textOf(source, kept),
        description: `drop the guard \`${shorten(textOf(source, node.test), 70)} ? …\`: always \`${shorten(textOf(source, kept), 50)}\``,
      })
      break
    }
    case "CallExpression": {
      if (node.callee.type !== "Identifier") break
      const template = INVALIDATION_CALLS[node.callee.name]
      if (template === undefined) break
      edits.push({
        operator: "skip-invalidation",
        node,
        start,
        end,
        replacement: `(${template(node.arguments.map((a) => textOf(source, a)))})`,
        description: `skip the invalidation \`${shorten(textOf(source, node), 80)}\``,
      })
      break
    }
    case "ArrayExpression": {
      const elements = programElements(source, node)
      if (elements === undefined) break
      const label = (e: t.Node) => opLabel(source, e) ?? "?"
      if (!(elements.length === 1 && inConditionalSpread(ancestors)))
        elements.forEach((e, i) => {
          const next = elements[i + 1]
          const prev = elements[i - 1]
          const span =
            next !== undefined
              ? { start: e.start ?? 0, end: next.start ?? 0 }
              : prev !== undefined
                ? { start: prev.end ?? 0, end: e.end ?? 0 }
                : { start: e.start ?? 0, end: e.end ?? 0 }
          edits.push({
            operator: "program-drop",
            node: e,
            ...span,
            replacement: "",
            description: `leave \`${label(e)}\` out of the program [${elements.map(label).join(", ")}]`,
          })
        })
      for (let i = 0; i + 1 < elements.length; i++) {
        const a = elements[i] as t.Node
        const b = elements[i + 1] as t.Node
        edits.push({
          operator: "program-swap",
          node: a,
          start: a.start ?? 0,
          end: b.end ?? 0,
          replacement: `${textOf(source, b)}${source.slice(a.end ?? 0, b.start ?? 0)}${textOf(source, a)}`,
          description: `swap \`${label(a)}\` and \`${label(b)}\` in the program [${elements.map(label).join(", ")}]`,
        })
      }
      break
    }
    case "BinaryExpression": {
      const flipped = FLIPPED[node.operator]
      if (flipped === undefined || isOrderingTest(node, ancestors)) break
      const at = source.indexOf(node.operator, node.left.end ?? 0)
      if (at < 0 || at >= (node.right.start ?? 0)) break
      edits.push({
        operator: "flip-comparison",
        node,
        start: at,
        end: at + node.operator.length,
        replacement: flipped,
        description: `\`${shorten(textOf(source, node), 70)}\`: ${node.operator} → ${flipped}`,
      })
      break
    }
    default:
      break
  }
  return edits
}

/** Every mutant of one file (`file` is its repository-relative path), in source order. */
export const mutantsOf = (file: string, source: string): ReadonlyArray<Mutant> => {
  const edits: Array<{ readonly edit: Edit; readonly fn: string }> = []
  walk(parseModule(source), (node, ancestors) => {
    const fn = enclosingName(ancestors)
    if (EXCLUDED_FUNCTION.test(fn)) return
    for (const edit of editsAt(source, node, ancestors)) edits.push({ edit, fn })
  })
  const seen = new Set<string>()
  const counters = new Map<string, number>()
  const mutants: Array<Mutant> = []
  for (const { edit, fn } of edits) {
    const mutated = source.slice(0, edit.start) + edit.replacement + source.slice(edit.end)
    if (seen.has(mutated) || mutated === source) continue
    seen.add(mutated)
    const key = `${fn}/${edit.operator}`
    const k = counters.get(key) ?? 0
    counters.set(key, k + 1)
    const loc = edit.node.loc?.start
    mutants.push({
      id: `${file}#${key}/${k}`,
      file,
      operator: edit.operator,
      function: fn,
      line: loc?.line ?? 0,
      column: (loc?.column ?? 0) + 1,
      start: edit.start,
      end: edit.end,
      original: source.slice(edit.start, edit.end),
      replacement: edit.replacement,
      description: edit.description,
    })
  }
  return mutants
}

/** The text of `source` with `mutant` applied; throws when the file no longer holds the original text there. */
export const applyMutant = (source: string, mutant: Mutant): string => {
  if (source.slice(mutant.start, mutant.end) !== mutant.original)
    throw new Error(`${mutant.id}: ${mutant.file} changed since the mutant was generated`)
  return source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.end)
}
