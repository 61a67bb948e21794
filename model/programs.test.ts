import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { catalogue, parseScenario, ScenarioError } from "../scenarios/catalogue.ts"
import { scenarioPrograms } from "../scenarios/scenario.ts"
import { scenario } from "../test/helpers.ts"
import { resolvePolicy } from "./policy.ts"
import {
  type ProceduresInput,
  programsError,
  RecordedProgramsSchema,
  recordedPrograms,
  resolvePrograms,
} from "./programs.ts"

const base = scenario("sriov-ats-strict")
/** The strict scenario with its knobs removed and `procedures` set, as JSON text. */
const withProcedures = (procedures: unknown, policy: object = {}): string =>
  JSON.stringify({ ...base, policy, procedures })
const error = (text: string): string => {
  try {
    parseScenario(text, "my.json")
  } catch (e) {
    if (e instanceof ScenarioError) return e.message
    throw e
  }
  return "decoded"
}

describe("a scenario's procedures", () => {
  it('read "page", the scope name of files written before multi-granule mappings, as "range"', () => {
    const procedures = {
      unmap: [
        "clear-pte",
        { op: "invalidate-iotlb", scope: "page" },
        { op: "invalidate-atc", range: "page" },
        "wait-atc",
        "free-page",
      ],
    }
    expect(error(withProcedures(procedures))).toBe("decoded")
    const programs = resolvePrograms(resolvePolicy({}), procedures as ProceduresInput)
    expect(programs.unmap[1]).toEqual({ op: "invalidate-iotlb", scope: "range" })
    expect(programs.unmap[2]).toEqual({ op: "invalidate-atc", targets: "domain-users", range: "range" })
  })

  it("absent, take the knobs' presets; given, replace them", () => {
    const preset = resolvePrograms(resolvePolicy(base.policy), undefined)
    expect(preset.unmap.map((o) => o.op)).toEqual([
      "clear-pte",
      "invalidate-iotlb",
      "invalidate-atc",
      "wait-atc",
      "free-page",
    ])
    const own: ProceduresInput = { unmap: ["clear-pte", { op: "invalidate-iotlb", scope: "domain" }, "free-page"] }
    expect(resolvePrograms(resolvePolicy({}), own).unmap).toEqual([
      { op: "clear-pte" },
      { op: "invalidate-iotlb", scope: "domain" },
      { op: "free-page" },
    ])
  })

  it("decode when every operation and parameter is known and the program can run", () => {
    expect(
      error(
        withProcedures({
          unmap: ["clear-pte", "invalidate-atc", "wait-atc", { op: "invalidate-iotlb", scope: "range" }, "free-page"],
          irte: ["write-irte", { op: "invalidate-iec", scope: "global" }, "write-entry"],
          "pasid-teardown": ["clear-entry", "drain-prq", "free-pasid"],
          "pasid-update": ["write-entry", "complete-write"],
          "guest-queue": { atc: [], wait: [] },
        }),
      ),
    ).toBe("decoded")
  })

  it("reject an unknown operation or parameter value, naming the entry", () => {
    expect(error(withProcedures({ unmap: ["clear-pte", "flush-everything"] }))).toMatch(
      /^my\.json: at \["procedures"\]\["unmap"\]\[1\]: Expected "clear-pte"/,
    )
    expect(error(withProcedures({ unmap: ["clear-pte", { op: "invalidate-iotlb", scope: "galaxy" }] }))).toMatch(
      /\["procedures"\]\["unmap"\]\[1\]/,
    )
    expect(error(withProcedures({ irte: ["write-irte", "write-entry", "write-pte"] }))).toMatch(
      /\["procedures"\]\["irte"\]\[2\]/,
    )
  })

  it("reject a program that cannot run: a wait with nothing to wait for, a missing or repeated essential step", () => {
    expect(error(withProcedures({ unmap: ["clear-pte", "wait-atc", "invalidate-atc"] }))).toBe(
      'my.json: at ["procedures"]: procedures.unmap: [1] wait-atc waits for ATS completions but no invalidate-atc comes before it',
    )
    expect(error(withProcedures({ unmap: ["invalidate-iotlb", "free-page"] }))).toContain(
      "procedures.unmap: must clear the PTE exactly once",
    )
    expect(error(withProcedures({ irte: ["write-irte", "invalidate-iec"] }))).toContain(
      "procedures.irte: must write the interrupt entry exactly once",
    )
    expect(error(withProcedures({ "pasid-teardown": ["clear-entry", "wait-atc"] }))).toContain(
      "procedures.pasid-teardown: [1] wait-atc waits",
    )
    expect(error(withProcedures({ "pasid-update": ["write-entry"] }))).toContain(
      "procedures.pasid-update: must complete the guest's write exactly once",
    )
  })

  it("reject a program given beside a knob that presets the same procedure", () => {
    expect(
      error(withProcedures({ unmap: ["clear-pte", "free-page"] }, { invalidationOrder: "iotlb-then-atc" })),
    ).toContain("procedures.unmap is given, and so is the knob policy.invalidationOrder that presets it: keep one")
  })
})

describe("recorded programs (a counterexample file's programs)", () => {
  const scenarios = catalogue()
  const policies = scenarios.map((s) => resolvePolicy(s.policy))

  it("give every catalogue scenario's programs back under any scenario's policy, and decode as written", () => {
    for (const s of scenarios) {
      const programs = scenarioPrograms(s)
      const recorded = recordedPrograms(programs)
      const json = JSON.parse(JSON.stringify(recorded)) as unknown
      expect(Schema.decodeUnknownSync(RecordedProgramsSchema)(json), s.id).toEqual(recorded)
      expect(programsError(s.policy, recorded, "programs"), s.id).toBeUndefined()
      for (const policy of policies) expect(resolvePrograms(policy, recorded), s.id).toEqual(programs)
    }
  })

  it("write an operation without parameters as its name, and one with parameters in full", () => {
    const recorded = recordedPrograms(scenarioPrograms(scenario("sriov-ats-no-atc-invalidation")))
    expect(recorded.unmap).toEqual(["clear-pte", { op: "invalidate-iotlb", scope: "range" }, "free-page"])
    expect(Object.keys(recorded).sort()).toEqual(
      ["flush-queue", "guest-queue", "irte", "pasid-teardown", "pasid-update", "release", "reset", "unmap"].sort(),
    )
  })
})
