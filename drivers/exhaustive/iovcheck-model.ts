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
import { transition, wellFormednessMessage } from "../../model/step.ts"
import { brokenInvariant } from "../../model/well-formed.ts"
import type { Event } from "../../model/event.ts"
import type { Outcome } from "../../model/outcome.ts"
import { Vendor } from "../../model/vendor.ts"
import { properties as catalogueProperties } from "../../properties/catalogue.ts"
import type { Property } from "../../properties/property.ts"
import { type Reduction, type Scenario, scenarioContext } from "../../scenarios/scenario.ts"
import { MODEL_DEFECT } from "../run-trace.ts"
import type { Checked, ExplorableModel, ModelViolation, Successor } from "./bfs.ts"
import { fingerprintValue } from "./fingerprint.ts"
import type { ModelSpec } from "./parallel-bfs.ts"
import { canonicalFingerprint, symmetryClasses } from "./symmetry.ts"

/**
 * The state-space reductions an exploration may use: `"symmetry"` (`symmetry.ts`: states that
 * differ by a permutation of interchangeable VFs count as one). Defined with the scenario's schema,
 * where a pinned proof records the reductions it was derived with.
 */
export type { Reduction } from "../../scenarios/scenario.ts"

/** A transition as the iovcheck model's `next` returns it: the successor with the step's outcome and events. */
interface IovcheckSuccessor extends Successor<State> {
  readonly outcome?: Outcome
  readonly events?: ReadonlyArray<Event>
}

const NONE: ReadonlyArray<ModelViolation> = []

/**
 * The scenario's model, checking `properties` on every transition: `next` runs the step (the
 * well-formedness invariants left out), and `check` (see `ExplorableModel`) checks well-formedness
 * once per distinct state reached, properties of the state alone (scope `"state"`) once per distinct
 * state, properties of events (scope `"events"`) on transitions with events, and the others on every
 * transition: the same first violation of each property in BFS order as checking all of them on
 * every transition.
 */
export const iovcheckModel = (
  scenario: Scenario,
  properties: ReadonlyArray<Property>,
  reductions: ReadonlyArray<Reduction> = [],
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
    next: (before, command): IovcheckSuccessor => {
      try {
        const { state, outcome, events } = transition(ctx, before, command, false)
        return { state, violations: NONE, outcome, events }
      } catch (e) {
        if (!(e instanceof ModelDefect)) throw e
        return { state: undefined, violations: [{ property: MODEL_DEFECT, message: e.message }] }
      }
    },
    check: (before, command, successor: IovcheckSuccessor, stateChecks): Checked => {
      const after = successor.state as State
      if (stateChecks === "all") {
        const broken = brokenInvariant(after, ctx.programs)
        if (broken !== undefined)
          return {
            defect: { property: MODEL_DEFECT, message: wellFormednessMessage(command, broken) },
            violations: NONE,
          }
      }
      const outcome = successor.outcome as Outcome
      const events = successor.events as ReadonlyArray<Event>
      let violations: Array<ModelViolation> | undefined
      for (const p of properties) {
        if (p.scope === "state" ? stateChecks === "none" : p.scope === "events" && events.length === 0) continue
        const message = p.check({ before, command, outcome, events, after, vendor: ctx.vendor })
        if (message === undefined) continue
        if (violations === undefined) violations = []
        violations.push({ property: p.id, message })
      }
      return { violations: violations ?? NONE }
    },
    fingerprint: reductions.includes("symmetry")
      ? canonicalFingerprint(symmetryClasses(scenario.topology))
      : (s) => fingerprintValue(s),
    propertyCount: properties.length,
  }
}

/**
 * The scenario's model checking every property of the catalogue (what `explore` explores), or only
 * those of `propertyIds` (a search for the shortest counterexample of each, which stops once all
 * are found).
 */
export const scenarioModel = (
  scenario: Scenario,
  propertyIds?: ReadonlyArray<string>,
  reductions: ReadonlyArray<Reduction> = [],
): ExplorableModel<State, Command> =>
  iovcheckModel(
    scenario,
    propertyIds === undefined ? catalogueProperties : catalogueProperties.filter((p) => propertyIds.includes(p.id)),
    reductions,
  )

/**
 * How a thread of the parallel explorer builds {@link scenarioModel} of `scenario` (and
 * `propertyIds`, with `reductions`).
 */
export const scenarioModelSpec = (
  scenario: Scenario,
  propertyIds?: ReadonlyArray<string>,
  reductions: ReadonlyArray<Reduction> = [],
): ModelSpec => ({
  module: import.meta.url,
  export: "scenarioModel",
  args: [scenario, propertyIds, reductions],
})
