/**
 * Identifiers of the modelled platform and their Schemas.
 *
 * - RID: a PCIe Requester ID in `bus:device.function` notation (`"01:00.1"`), PCIe Base 6.0 §2.2.6.2.
 * - VM id: `"vm1"`, `"vm2"`, …
 * - Owner: who owns a physical page or a function: `"host"`, a VM id, or, for pages only, `"free"`.
 * - HPA page: a host physical page frame number (HPA >> 12), an integer ≥ 0.
 * - IOVA: an I/O virtual address in bytes, 4 KiB aligned (`8192` is IOVA `0x2000`).
 *
 * @module
 */
import { Schema } from "effect"

/** Size of a translation granule, in bytes (4 KiB, the smallest page of VT-d, AMD-Vi and SMMUv3). */
export const PAGE_SIZE = 4096

/** A PCIe Requester ID, `bus:device.function` in hex (PCIe Base 6.0 §2.2.6.2), e.g. `"01:00.1"`. */
export const Rid = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/, { message: "Expected a RID like 01:00.1" }),
)
/** A PCIe Requester ID string. */
export type Rid = typeof Rid.Type

/** A VM identifier, `vm` followed by a number, e.g. `"vm1"`. */
export const VmId = Schema.String.check(Schema.isPattern(/^vm[0-9]+$/, { message: "Expected a VM id like vm1" }))
/** A VM identifier string. */
export type VmId = typeof VmId.Type

/** Owner of a function: the host (kernel/PF driver) or the VM it is assigned to. */
export const FunctionOwner = Schema.Union([Schema.Literal("host"), VmId])
/** Owner of a function: `"host"` or a VM id. */
export type FunctionOwner = typeof FunctionOwner.Type

/** Owner of a physical page: `"host"`, a VM id, or `"free"` (in the host's free pool). */
export const PageOwner = Schema.Union([Schema.Literals(["host", "free"]), VmId])
/** Owner of a physical page: `"host"`, `"free"` or a VM id. */
export type PageOwner = typeof PageOwner.Type

/** A host physical page frame number (HPA >> 12). */
export const HpaPage = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A host physical page frame number. */
export type HpaPage = number

/** An IOVA in bytes, 4 KiB aligned. */
export const Iova = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(0),
  Schema.makeFilter((n: number) => n % PAGE_SIZE === 0 || `Expected a 4 KiB aligned IOVA, got ${n}`),
)
/** An IOVA in bytes, 4 KiB aligned. */
export type Iova = number

/** Formats an IOVA as hex: `formatIova(8192) === "0x2000"`. */
export const formatIova = (iova: Iova): string => `0x${iova.toString(16)}`
