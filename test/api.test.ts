/**
 * The library (`import … from "iovcheck"`, `api/index.ts`): scenarios from files and objects,
 * `verify`, `explore` and `replay` returning the documents the CLI prints (each decodes with its
 * Schema and round-trips through its JSON), the renderers, and one-line errors for bad input.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import {
  CounterexampleError,
  catalogue,
  ExploreDocument,
  explore,
  loadCounterexample,
  loadScenario,
  parseCounterexample,
  parseScenario,
  properties,
  ReplayDocument,
  renderCounterexampleHtml,
  renderReplayText,
  renderVerifyTable,
  replay,
  ScenarioError,
  VerifyReport,
  verify,
} from "../api/index.ts"
import { exploreDocumentJson } from "../reports/explore-report.ts"
import { verifyReportJson } from "../reports/verify-report.ts"

const root = join(import.meta.dirname, "..")
const out = mkdtempSync(join(tmpdir(), "iovcheck-api-"))
afterAll(() => rmSync(out, { recursive: true, force: true }))

const message = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`
  }
  return "no error"
}

describe("the library", () => {
  it("reads scenarios from files and objects, dropping $schema, with one-line errors", () => {
    const file = loadScenario(join(root, "scenarios", "vfio-noiommu.json"))
    expect("$schema" in file).toBe(false)
    const raw = JSON.parse(readFileSync(join(root, "scenarios", "vfio-noiommu.json"), "utf8"))
    expect(parseScenario(raw)).toEqual(file)
    expect(catalogue().map((s) => s.id)).toContain("vfio-noiommu")
    expect(message(() => parseScenario({ ...raw, policy: { vfioIommus: "type1" } }, "mine.json"))).toBe(
      'ScenarioError: mine.json: at ["policy"]["vfioIommus"]: unknown key "vfioIommus" (nearest: vfioIommu, vfPasidCap, iommuGroups)',
    )
    expect(message(() => loadScenario(join(out, "none.json")))).toBe(
      `ScenarioError: ${join(out, "none.json")}: no such file`,
    )
    expect(new ScenarioError("x")).toBeInstanceOf(Error)
    expect(properties.map((p) => p.id)).toContain("dma-isolation")
  })

  it("verify and explore return the CLI's documents, which their Schemas decode", () => {
    const scenario = loadScenario(join(root, "scenarios", "vfio-noiommu.json"))
    const report = verify(scenario, { runs: 50, exploreStates: 2000, out })
    expect(Schema.decodeUnknownSync(VerifyReport)(JSON.parse(verifyReportJson(report)))).toEqual(report)
    const v = report.scenarios[0]?.violations[0]
    expect(v?.property).toBe("dma-isolation")
    expect(existsSync(v?.file ?? "")).toBe(true)
    expect(renderVerifyTable(report)).toContain("vfio-noiommu")
    const explored = explore([scenario], { depth: 2, out })
    expect(Schema.decodeUnknownSync(ExploreDocument)(JSON.parse(exploreDocumentJson(explored)))).toEqual(explored)
    expect(explored.scenarios[0]?.statement).toBe("violates dma-isolation (shortest 2 commands)")
  })

  it("replays a counterexample file into the replay document, and renders it", () => {
    const path = join(root, "corpus", "vfio-noiommu", "dma-isolation.json")
    const file = loadCounterexample(path)
    const document = replay(file)
    expect(document.verdict).toBe("reproduced")
    expect(Schema.decodeUnknownSync(ReplayDocument)(JSON.parse(JSON.stringify(document))).steps).toHaveLength(
      file.commands.length,
    )
    expect(renderReplayText(file)).toContain("reproduced: dma-isolation violated at step 1, as recorded")
    expect(renderCounterexampleHtml(file, { path })).toContain(`npx iovcheck replay ${path}`)
    expect(message(() => parseCounterexample({ format: "iovcheck-counterexample" }, "x.json"))).toMatch(
      /^CounterexampleError: x\.json: at \["formatVersion"\]/,
    )
    expect(message(() => loadCounterexample(out))).toBe(
      `CounterexampleError: ${out}: a folder, not a counterexample file`,
    )
    expect(new CounterexampleError("x")).toBeInstanceOf(Error)
  })
})
