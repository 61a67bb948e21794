/**
 * Symmetry reduction is sound only if every permutation of a scenario's group is an automorphism
 * of its transition system that leaves the properties' verdicts unchanged. Checked here step by
 * step on random traces of every catalogue scenario with a non-trivial group: the commands enabled
 * in the permuted state are the permuted commands, every command's successor permuted is the
 * permuted command's successor, with the same violations; and the canonical fingerprint is the same
 * for a state and its images. Explorations with the reduction give the unreduced search's verdicts,
 * depths and shortest lengths (the scenario files' pins, which `scenarios-safe.test.ts` and
 * `npm run prove` check unreduced) in fewer distinct states; `npm run prove` does the same for the
 * deep pins.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Command } from "../../model/command.ts"
import type { State } from "../../model/state.ts"
import { properties } from "../../properties/catalogue.ts"
import { catalogue } from "../../scenarios/catalogue.ts"
import { type Checked, explore, type Successor } from "./bfs.ts"
import { fingerprintValue } from "./fingerprint.ts"
import { iovcheckModel, scenarioModel } from "./iovcheck-model.ts"
import { canonicalFingerprint, groupElements, permuteCommand, permuteState, symmetryClasses } from "./symmetry.ts"

const key = (v: unknown): string => {
  const h = fingerprintValue(v)
  return `${h.hi}:${h.lo}`
}

const symmetric = catalogue().filter((s) => symmetryClasses(s.topology).length > 0)

const outcome = (
  m: ReturnType<typeof scenarioModel>,
  s: State,
  c: Command,
): { state: string | undefined; violations: Array<string> } => {
  const next: Successor<State> = m.next(s, c)
  const checked: Checked =
    next.state === undefined ? { violations: next.violations } : (m.check?.(s, c, next, "all") ?? next)
  return {
    state: next.state === undefined ? undefined : key(next.state),
    violations: [...(checked.defect === undefined ? [] : [checked.defect]), ...checked.violations]
      .map((v) => v.property)
      .sort(),
  }
}

describe("symmetry classes", () => {
  it("are the equal VFs of one PF and device, in the catalogue's SR-IOV scenarios", () => {
    expect(symmetric.length).toBeGreaterThan(10)
    for (const s of symmetric) for (const c of symmetryClasses(s.topology)) expect(c.length).toBeGreaterThanOrEqual(2)
    const strict = catalogue().find((s) => s.id === "sriov-ats-strict")
    expect(symmetryClasses(strict?.topology as never)).toEqual([["01:00.1", "01:00.2"]])
  })

  it("leave out VFs that a sub-device or an alias names, or that differ", () => {
    const base = catalogue().find((s) => s.id === "sriov-ats-strict")?.topology as never as {
      functions: Array<Record<string, unknown>>
    }
    const differ = { ...base, functions: base.functions.map((f) => (f.rid === "01:00.2" ? { ...f, ats: false } : f)) }
    expect(symmetryClasses(differ as never)).toEqual([])
    const otherDevice = {
      ...base,
      functions: base.functions.map((f) => (f.rid === "01:00.2" ? { ...f, rid: "01:01.0" } : f)),
    }
    expect(symmetryClasses(otherDevice as never)).toEqual([])
    const parent = { ...base, subdevices: [{ id: "adi1", kind: "adi", parent: "01:00.1", pasid: 1 }] }
    expect(symmetryClasses(parent as never)).toEqual([])
  })
})

describe.each(symmetric.map((s) => [s.id, s] as const))("symmetry of %s", (_, scenario) => {
  const m = scenarioModel(scenario)
  const group = groupElements(symmetryClasses(scenario.topology)).slice(1)
  const canonical = canonicalFingerprint(symmetryClasses(scenario.topology))

  it("every permutation commutes with enabled, step and the properties on random traces", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 24 }), (choices) => {
        let s = m.initial
        for (const choice of choices) {
          expect(permuteState(s, new Map())).toBe(s)
          const commands = m.enabled(s)
          if (commands.length === 0) return
          for (const p of group) {
            const image = permuteState(s, p)
            expect(canonical(image)).toEqual(canonical(s))
            const imageCommands = m.enabled(image)
            expect(new Set(imageCommands.map(key))).toEqual(new Set(commands.map((c) => key(permuteCommand(c, p)))))
            for (const c of commands) {
              const here = outcome(m, s, c)
              const there = outcome(m, image, permuteCommand(c, p))
              const after = m.next(s, c).state
              expect({
                state: after === undefined ? undefined : key(permuteState(after, p)),
                violations: here.violations,
              }).toEqual(there)
            }
          }
          const next = m.next(s, commands[choice % commands.length] as Command).state
          if (next === undefined) return
          s = next
        }
      }),
      { numRuns: 8, seed: 19 },
    )
  })
})

const now = () => performance.now()

describe("explorations with symmetry reduction", () => {
  it.each(symmetric.filter((s) => s.expected === "safe").map((s) => [s.id, s] as const))(
    "%s: no violation up to its pinned exploration depth, in fewer states than the pin",
    (_, s) => {
      const pin = s.exploration as { depth: number; distinctStates: number }
      const r = explore(iovcheckModel(s, properties, ["symmetry"]), { depth: pin.depth, maxStates: 10_000_000, now })
      expect(r.violations.map((v) => v.property)).toEqual([])
      expect(r.depthCompleted).toBe(pin.depth)
      expect(r.distinctStates).toBeLessThan(pin.distinctStates)
      expect(r.distinctStates).toBeGreaterThanOrEqual(
        pin.distinctStates / groupElements(symmetryClasses(s.topology)).length,
      )
    },
  )

  it("program-unmap-free-before-flush: the pinned shortest counterexample, as long as unreduced", () => {
    const s = catalogue().find((x) => x.id === "program-unmap-free-before-flush")
    if (s === undefined) throw new Error("catalogue scenario missing")
    const pinned = s.shortest as Record<string, number>
    const r = explore(
      iovcheckModel(
        s,
        properties.filter((p) => p.id in pinned),
        ["symmetry"],
      ),
      { depth: Math.max(...Object.values(pinned)), maxStates: 10_000_000, now },
    )
    expect(Object.fromEntries(r.violations.map((v) => [v.property, v.commands.length]))).toEqual(pinned)
  })
})
