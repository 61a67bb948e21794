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

/** A named property. `check` returns a message carrying the values involved, or `undefined`. */
export interface Property {
  readonly id: string
  readonly statement: string
  readonly kind: "isolation" | "coherence"
  readonly citation: string
  readonly check: (t: Transition) => string | undefined
}
