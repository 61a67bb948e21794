/**
 * `node dist/bench/explorations.js --write FILE | --check FILE [--scenario ID]...`: the engine's
 * equivalence check across performance work (issue 19). For every catalogue scenario it records
 * what the explorer proves and finds at a fixed depth (safe scenarios with a pinned exploration: the
 * pinned depth; the others: the deepest level completed within a time budget when written), namely
 * the verdict, the distinct states first reached at each depth and each property's shortest
 * counterexample length. `--write` records them; `--check` explores again at the recorded
 * depths and prints every difference (exit 1 when any). Not a test: it takes minutes.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs"
import { explore } from "../drivers/exhaustive/bfs.ts"
import { iovcheckModel } from "../drivers/exhaustive/iovcheck-model.ts"
import { properties } from "../properties/catalogue.ts"
import { catalogue } from "../scenarios/catalogue.ts"

/** What one scenario's exploration established, at a fixed depth. */
interface Record_ {
  readonly id: string
  readonly depth: number
  readonly distinctStates: number
  readonly transitions: number
  readonly statesPerDepth: ReadonlyArray<number>
  readonly shortest: Readonly<Record<string, number>>
  readonly ms: number
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : process.argv[i + 1]
}
const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === "--scenario" ? [a] : []))
const writeTo = arg("--write")
const checkAgainst = arg("--check")
const budgetMs = Number(arg("--budget-ms") ?? 8000)
const maxStates = Number(arg("--max-states") ?? 400_000)
if ((writeTo === undefined) === (checkAgainst === undefined)) {
  console.error("usage: explorations (--write FILE | --check FILE) [--scenario ID]... [--budget-ms N]")
  process.exit(2)
}
const reference: ReadonlyArray<Record_> =
  checkAgainst === undefined ? [] : (JSON.parse(readFileSync(checkAgainst, "utf8")) as Array<Record_>)
const now = () => performance.now()

const records: Array<Record_> = []
let differences = 0
for (const s of catalogue()) {
  if (only.length > 0 && !only.includes(s.id)) continue
  const ref = reference.find((r) => r.id === s.id)
  if (checkAgainst !== undefined && ref === undefined) continue
  const pinned = s.exploration?.depth
  const started = now()
  const r = explore(iovcheckModel(s, properties), {
    depth: ref?.depth ?? pinned ?? 40,
    maxStates: ref === undefined ? maxStates : 1e9,
    now,
    ...(ref === undefined && pinned === undefined ? { deadline: now() + budgetMs } : {}),
  })
  const depth = r.depthCompleted
  const shortest: Record<string, number> = {}
  for (const v of r.violations) if (v.commands.length <= depth) shortest[v.property] = v.commands.length
  const record: Record_ = {
    id: s.id,
    depth,
    distinctStates: r.statesPerDepth.reduce((a, b) => a + b, 0),
    transitions: r.transitions,
    statesPerDepth: r.statesPerDepth,
    shortest,
    ms: Math.round(now() - started),
  }
  records.push(record)
  const rate = Math.round(record.distinctStates / Math.max(record.ms / 1000, 1e-3))
  let verdict = "same"
  if (ref !== undefined) {
    // Transitions are not compared: a recording stopped by its time budget counted those of the
    // level it did not complete.
    const a = JSON.stringify({ ...ref, ms: 0, transitions: 0 })
    const b = JSON.stringify({ ...record, ms: 0, transitions: 0 })
    if (a !== b) {
      differences++
      verdict = `DIFFERENT\n  was ${a}\n  now ${b}`
    }
  }
  console.log(
    `${s.id}: depth ${depth}, ${record.distinctStates} states, ${JSON.stringify(shortest)}, ${record.ms} ms (${rate}/s)${checkAgainst === undefined ? "" : ` ${verdict}`}`,
  )
}
if (writeTo !== undefined) writeFileSync(writeTo, `${JSON.stringify(records, null, 1)}\n`)
if (checkAgainst !== undefined) {
  console.log(differences === 0 ? "no difference" : `${differences} scenario(s) differ`)
  process.exit(differences === 0 ? 0 : 1)
}
