/**
 * The one immutable state of the modelled platform (DESIGN.md §2): physical memory, the PCIe
 * functions, the IOMMU and the host's software state. Plain readonly data with every collection
 * sorted by its key, so two equal states are equal structurally (`Equal.equals`) and encode to the
 * same JSON (the explorer's fingerprint).
 *
 * @module
 */

import type { Event } from "./event.ts"
import type { Guest } from "./guest/guest.ts"
import type { Host } from "./host/host.ts"
import type { Iova } from "./ids.ts"
import type { Iommu } from "./iommu/iommu.ts"
import type { Memory } from "./memory/pages.ts"
import type { Nesting } from "./nesting/nesting.ts"
import type { Outcome } from "./outcome.ts"
import type { PcieFunction } from "./pcie/function.ts"
import type { Subdevice } from "./pcie/subdevice.ts"
import type { PolicyValues } from "./policy.ts"
import type { Programs } from "./programs.ts"
import type { VendorSemantics } from "./vendor.ts"

/** The whole platform. */
export interface State {
  readonly memory: Memory
  /** Per HPA page: private to its confidential VM (true) or shared (false). */
  readonly privatePages: ReadonlyArray<boolean>
  /** The confidential VMs (TVMs), sorted; constant. */
  readonly cvms: ReadonlyArray<string>
  /** Sorted by RID. */
  readonly functions: ReadonlyArray<PcieFunction>
  /** ADIs and mdevs, sorted by id. */
  readonly subdevices: ReadonlyArray<Subdevice>
  readonly iommu: Iommu
  readonly host: Host
  /** Each VM's software state, sorted by VM. */
  readonly guests: ReadonlyArray<Guest>
  /** The IOVAs the VMMs map (the scenario's bounded IOVA space), ascending; constant. */
  readonly iovas: ReadonlyArray<Iova>
  /** Vectors per owner that interrupt messages may name (0 … vectors-1); constant. */
  readonly vectors: number
  /** The PASID values functions may bind, ascending; constant. */
  readonly pasids: ReadonlyArray<number>
  /** Page request group indexes a device may use (0 … prgis-1); constant. */
  readonly prgis: number
  /** Nested translation (seed thread 001), in scenarios whose topology has `nesting` only. */
  readonly nesting?: Nesting
}

/** What one step produced. */
export interface StepResult {
  readonly state: State
  readonly outcome: Outcome
  readonly events: ReadonlyArray<Event>
}

/** The services a transition reads, resolved once per trace. */
export interface StepContext {
  readonly vendor: VendorSemantics
  readonly policy: PolicyValues
  readonly programs: Programs
}

/** A step that changed nothing, with its outcome. */
export const unchanged = (state: State, outcome: Outcome): StepResult => ({ state, outcome, events: [] })
