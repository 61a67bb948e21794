/**
 * A property: a named predicate over one transition (state before, command, outcome, events, state
 * after), with an id, a one-line statement, a kind and a citation (DESIGN.md §3, STYLE.md §4).
 * Properties observe architectural state and events only: never a design knob of the scenario, never
 * what the scenario predicts.
 *
 * @module
 */
import type { Command } from "../model/command.ts"
import type { Event } from "../model/event.ts"
import type { Outcome } from "../model/outcome.ts"
import type { State } from "../model/state.ts"
import type { VendorSemantics } from "../model/vendor.ts"

/**
 * One transition of the model, as properties see it. `vendor` is the IOMMU architecture, for the
 * names messages use (DID, DomainID or VMID); no property's verdict depends on it.
 */
export interface Transition {
  readonly before: State
  readonly command: Command
  readonly outcome: Outcome
  readonly events: ReadonlyArray<Event>
  readonly after: State
  readonly vendor: VendorSemantics
}

/**
 * What a property's `check` reads of a transition, which lets drivers skip checks whose result they
 * already know (a declaration about `check`, tested in `properties.test.ts`; absent: the whole
 * transition, checked on every one):
 * - `"state"`: `after` alone (and `vendor`, for names): a predicate of the state reached, so it
 *   gives on a state the result it gave when that state was first reached;
 * - `"events"`: it finds nothing in a transition without events (every violation is about an event).
 */
export type PropertyScope = "state" | "events"

/** A named property. `check` returns a message carrying the values involved, or `undefined`. */
export interface Property {
  readonly id: string
  readonly statement: string
  readonly kind: "isolation" | "coherence"
  readonly citation: string
  readonly scope?: PropertyScope
  readonly check: (t: Transition) => string | undefined
}
