/**
 * The catalogue's safe siblings: for each unsafe scenario, the safe catalogue scenario it is a
 * variant of (the same world or its family's, the design fixed). Two rules rest on it: the unsafe scenario's shrunk traces run clean under the
 * sibling (the verdict comes from the design, not the world), and a safe scenario's pinned `proof`
 * goes at least two commands deeper than the longest `shortest` counterexample of the unsafe
 * scenarios it is the sibling of (issue 19: a bounded proof deeper than the bugs it rules out).
 *
 * @module
 */
import type { Scenario } from "./scenario.ts"

/** The safe catalogue scenario (its id) each unsafe catalogue scenario is a variant of. */
export const SAFE_SIBLINGS: Readonly<Record<string, string>> = {
  "sriov-ats-no-atc-invalidation": "sriov-ats-strict",
  "sriov-ats-atc-before-iotlb": "sriov-ats-strict",
  "siov-ims-guest-writable": "siov-ims-pasid-tagged-interrupts",
  "siov-pasid-dma-decoded-as-msi": "siov-ims-host-managed",
  "sriov-remapping-no-sid-validation": "sriov-ims-guest-writable-sid-validation",
  "sriov-no-interrupt-remapping": "sriov-ims-guest-writable-sid-validation",
  "mdev-unmediated": "mdev-pasid-domains",
  "vfio-noiommu": "vfio-type1",
  "vf-pasid-mirror-readonly": "vf-pasid-emulated-iommu-enforced",
  "vf-pasid-emulated-unenforced": "vf-pasid-emulated-iommu-enforced",
  "vf-pasid-pf-disables-while-assigned": "vf-pasid-emulated-iommu-enforced",
  "pri-teardown-no-drain": "pri-teardown-drain",
  "tdisp-flip-in-flight": "tdisp-flip-by-rebind",
  "tdisp-config-change-ignored": "tdisp-flip-by-rebind",
  "nested-smmuv3-untranslated-vrid": "nested-smmuv3-forwarded-atc",
  "nested-amd-dropped-atc": "nested-amd-forwarded-atc",
  "nested-amd-synthesized-single-gcr3": "nested-amd-synthesized-all-gcr3",
  "nested-shared-pdid": "nested-amd-forwarded-atc",
  "nested-stale-vrid-after-reassign": "nested-vrid-removed-on-reassign",
  "program-unmap-free-before-flush": "sriov-ats-strict",
  "lifecycle-release-keeps-irtes": "lifecycle-release-frees-irtes",
  "lifecycle-ats-timeout-treat-as-complete": "lifecycle-ats-timeout-fence",
  "lifecycle-reassign-no-quiesce": "lifecycle-reassign-default",
  "lifecycle-reassign-no-flr": "lifecycle-reassign-no-flr-atc-invalidated",
  "lifecycle-release-host-identity": "lifecycle-release-blocking-no-quiesce",
  "cache-context-tag-after-change": "cache-context-tag-before-change",
  "tag-free-without-flush": "tag-free-after-flush",
  "flush-deferred": "flush-deferred-page-held",
  "flush-range-first-page": "flush-range-whole-mapping",
  "adversary-untrusted-ats-enabled": "adversary-untrusted-ats-disabled",
  "adversary-alias-per-function": "adversary-alias-group-aware",
  "adversary-rmrr-keep-unity-map": "adversary-rmrr-drop-unity-map",
  "siov-ats-rid-only-invalidation": "siov-ats-pasid-invalidation",
}

/**
 * The safe sibling of an unsafe scenario, resolved against `catalogue`; `undefined` when it has
 * none listed.
 */
export const safeSiblingOf = (s: Scenario, catalogue: ReadonlyArray<Scenario>): Scenario | undefined =>
  catalogue.find((c) => c.id === SAFE_SIBLINGS[s.id])

/**
 * The counterexample lengths known for an unsafe catalogue scenario, by property: its pinned
 * `shortest`, else the shrunk lengths of its {@link SHORTEST_GAPS} entry (upper bounds of the
 * shortest); `{}` when neither is there.
 */
export const knownCounterexampleLengths = (unsafe: Scenario): Readonly<Record<string, number>> =>
  unsafe.shortest ?? SHORTEST_GAPS[unsafe.id]?.shrunk ?? {}

/**
 * The depth a safe catalogue scenario's `proof` must reach: the longest known counterexample
 * ({@link knownCounterexampleLengths}: the pinned shortest, or the shrunk upper bound where no
 * shortest is known) among the unsafe scenarios whose sibling it is, plus two; `undefined` when it
 * is no one's sibling. With an upper bound the rule errs on the deep side: a proof that meets it
 * also meets the rule on the unknown shortest.
 */
export const requiredProofDepth = (safe: Scenario, catalogue: ReadonlyArray<Scenario>): number | undefined => {
  const lengths = catalogue
    .filter((u) => SAFE_SIBLINGS[u.id] === safe.id)
    .flatMap((u) => Object.values(knownCounterexampleLengths(u)))
  return lengths.length === 0 ? undefined : Math.max(...lengths) + 2
}

/**
 * Safe siblings whose pinned `proof` does not reach {@link requiredProofDepth}: the explorer does
 * not cover that depth in a nightly budget and a nightly runner's memory, even with symmetry
 * reduction (issue 19: the state count grows two- to sixfold per level in these worlds, the
 * factor falling with depth). Each names what its proof reaches. An
 * entry leaves the list when its proof is deepened (`pins.test.ts` fails while a listed proof
 * meets the rule, so the list cannot outlive the gap).
 */
export const PROOF_GAPS: Readonly<Record<string, string>> = {}

/**
 * An unsafe scenario without a `shortest` pin: the lengths its counterexamples shrink to in
 * `scenarios-unsafe.test.ts` (by property; upper bounds of the shortest, checked there), and why
 * the breadth-first search does not settle the shortest.
 */
export interface ShortestGap {
  readonly shrunk: Readonly<Record<string, number>>
  readonly why: string
}

/**
 * Unsafe scenarios without a `shortest` pin: the breadth-first search cannot reach the depth of
 * their counterexamples in a nightly budget (millions to tens of millions of states), so no length
 * is known to be the shortest; the shrunk length stands in for it, as an upper bound, in
 * {@link requiredProofDepth}.
 */
export const SHORTEST_GAPS: Readonly<Record<string, ShortestGap>> = {
  "sriov-ats-atc-before-iotlb": {
    shrunk: { "atc-coherence": 10, "dma-isolation": 11 },
    why: "85,838 distinct states at depth 6, growing about 4.5-fold per level",
  },
}
