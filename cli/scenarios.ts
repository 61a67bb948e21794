/**
 * `iovcheck scenarios [--json]`: the catalogue with topology, vendor, policies, expectation and
 * source.
 *
 * @module
 */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { resolvePolicy } from "../model/policy.ts"
import { renderTable } from "../reports/table.ts"
import { formatExpectation } from "../scenarios/scenario.ts"
import { loadScenarios } from "./verify.ts"

/** The `scenarios` command. */
export const scenariosCommand = Command.make(
  "scenarios",
  { json: Flag.Boolean("json").pipe(Flag.withDescription("Print the catalogue as JSON"), Flag.withDefault(false)) },
  ({ json }) =>
    Effect.gen(function* () {
      const scenarios = yield* loadScenarios([])
      if (json) {
        yield* Console.log(JSON.stringify({ scenarios }, null, 2))
        return
      }
      const topology = (s: (typeof scenarios)[number]) =>
        `${s.topology.vms.length} VMs, ${s.topology.functions.length} functions, ${s.topology.pages.length} pages, ${s.topology.iovas.length} IOVAs`
      const policy = (s: (typeof scenarios)[number]) =>
        Object.entries(resolvePolicy(s.policy))
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")
      yield* Console.log(
        renderTable(
          ["scenario", "vendor", "expected", "topology", "policy"],
          scenarios.map((s) => [s.id, s.vendor, formatExpectation(s.expected), topology(s), policy(s)]),
        ),
      )
      for (const s of scenarios) yield* Console.log(`\n${s.id}: ${s.title}\n  source: ${s.source}`)
    }),
).pipe(Command.withDescription("List the scenario catalogue"))
