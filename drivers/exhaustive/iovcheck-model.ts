/**
 * A scenario as a model for the exhaustive explorer: the same `enabled`, the same transition that
 * `step` runs (under the scenario's `Vendor` and `Policy` services) and the same properties as the
 * random driver — no second model. States are fingerprinted structurally (`fingerprintValue`:
 * every collection in `State` is sorted by key, and object key order does not matter).
 *
 * @module
 */
import { Context } from "effect"
import type { Command } from "../../model/command.ts"
import { ModelDefect } from "../../model/defect.ts"
import { enabled } from "../../model/enabled.ts"
import { initialState } from "../../model/init.ts"
import { Policy } from "../../model/policy.ts"
import { ProgramsService } from "../../model/programs.ts"
import type { State } from "../../model/state.ts"
import { transition } from "../../model/step.ts"
import { Vendor } from "../../model/vendor.ts"
import type { Property } from "../../properties/property.ts"
import { type Scenario, scenarioContext } from "../../scenarios/scenario.ts"
import { MODEL_DEFECT } from "../run-trace.ts"
import type { ExplorableModel, ModelViolation } from "./bfs.ts"
import { fingerprintValue } from "./fingerprint.ts"

/** The scenario's model, checking `properties` on every transition. */
export const iovcheckModel = (
  scenario: Scenario,
  properties: ReadonlyArray<Property>,
): ExplorableModel<State, Command> => {
  const services = scenarioContext(scenario)
  const ctx = {
    vendor: Context.get(services, Vendor),
    policy: Context.get(services, Policy),
    programs: Context.get(services, ProgramsService),
  }
  return {
    initial: initialState(scenario.topology),
    enabled,
    next: (before, command) => {
      try {
        const { state: after, outcome, events } = transition(ctx, before, command)
        const violations: Array<ModelViolation> = []
        for (const p of properties) {
          const message = p.check({ before, command, outcome, events, after, vendor: ctx.vendor })
          if (message !== undefined) violations.push({ property: p.id, message })
        }
        return { state: after, violations }
      } catch (e) {
        if (!(e instanceof ModelDefect)) throw e
        return { state: undefined, violations: [{ property: MODEL_DEFECT, message: e.message }] }
      }
    },
    fingerprint: fingerprintValue,
    propertyCount: properties.length,
  }
}
