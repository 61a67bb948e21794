/**
 * The properties every scenario is checked against, as data: id, kind, one-line statement and
 * citation (the checks themselves stay inside the model).
 *
 * @module
 */
import { properties as all } from "../properties/catalogue.ts"

/** A property as the reports name it. */
export interface PropertyInfo {
  /** `dma-isolation`, `atc-coherence`, …: what scenarios' `expected.violates` and reports name. */
  readonly id: string
  readonly kind: "isolation" | "coherence"
  /** One line: what must hold. */
  readonly statement: string
  /** The spec section or seed thread it comes from. */
  readonly citation: string
}

/** Every property, in report order. */
export const properties: ReadonlyArray<PropertyInfo> = all.map(({ id, kind, statement, citation }) => ({
  id,
  kind,
  statement,
  citation,
}))
