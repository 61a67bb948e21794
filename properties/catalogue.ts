/**
 * The properties every scenario is checked against, in report order, and lookup by id.
 *
 * @module
 */
import { atcCoherence } from "./atc-coherence.ts"
import { capabilityCoherence } from "./capability-coherence.ts"
import { dmaHandleCoherence } from "./dma-handle-coherence.ts"
import { dmaIsolation } from "./dma-isolation.ts"
import { entryCacheCoherence } from "./entry-cache-coherence.ts"
import { interruptIsolation } from "./interrupt-isolation.ts"
import { invalidationScope } from "./invalidation-scope.ts"
import { iotlbCoherence } from "./iotlb-coherence.ts"
import { priRouting } from "./pri-routing.ts"
import { trustIsolation } from "./trust-isolation.ts"
import type { Property } from "./property.ts"

/** Every property, in report order. */
export const properties: ReadonlyArray<Property> = [
  dmaIsolation,
  interruptIsolation,
  priRouting,
  trustIsolation,
  invalidationScope,
  iotlbCoherence,
  atcCoherence,
  entryCacheCoherence,
  capabilityCoherence,
  dmaHandleCoherence,
]

/** The ids of every property. */
export const propertyIds: ReadonlyArray<string> = properties.map((p) => p.id)

/** The property with `id`, if any. */
export const propertyById = (id: string): Property | undefined => properties.find((p) => p.id === id)
