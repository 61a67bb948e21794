/**
 * The HTML report in a real browser: counterexample reports of corpus findings are written to
 * files and opened in headless Chromium (Debian's `chromium`, driven by puppeteer-core; no browser
 * download: `.ci/run` installs the package when missing, `CHROMIUM_PATH` names another binary).
 * The rendered DOM must hold every section with the scenario's values, the page must log no
 * console error and fetch nothing but itself, long state diffs must wrap, and the page must fit a
 * printed A4 page.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import puppeteer, { type Browser, type Page } from "puppeteer-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { CounterexampleFile } from "../counterexamples/counterexample-file.ts"
import { readCounterexampleFile } from "../counterexamples/read-counterexample.ts"
import { replay } from "../drivers/replay.ts"
import { propertyById } from "../properties/catalogue.ts"
import { counterexampleHtml } from "../reports/counterexample-html.ts"

const chromium = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p): p is string => p !== undefined && p !== "" && existsSync(p),
)
const corpus = join(import.meta.dirname, "..", "corpus")
const work = mkdtempSync(join(tmpdir(), "iovcheck-report-"))
let browser: Browser

beforeAll(async () => {
  if (chromium === undefined)
    throw new Error("headless Chromium not found: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH")
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox"] })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  rmSync(work, { recursive: true, force: true })
})

/** Writes the report of a corpus file and opens it; collects console errors and every request. */
const open = async (
  name: string,
  width = 1200,
): Promise<{ page: Page; file: CounterexampleFile; path: string; errors: Array<string>; requests: Array<string> }> => {
  const path = join("corpus", name)
  const file = readCounterexampleFile(join(corpus, name))
  const html = join(work, `${name.replaceAll("/", "-")}.html`)
  writeFileSync(html, counterexampleHtml(file, replay(file), { path }))
  const page = await browser.newPage()
  const errors: Array<string> = []
  const requests: Array<string> = []
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text())
  })
  page.on("pageerror", (e) => errors.push(String(e)))
  page.on("request", (r) => requests.push(r.url()))
  await page.setViewport({ width, height: 900 })
  await page.goto(pathToFileURL(html).href, { waitUntil: "load" })
  return { page, file, path, errors, requests: requests.filter((u) => u !== pathToFileURL(html).href) }
}

const texts = (page: Page, selector: string): Promise<Array<string>> =>
  page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? "").trim()))

describe("the counterexample report in headless Chromium", () => {
  it.each([
    "sriov-ats-atc-before-iotlb/dma-isolation.json",
    "siov-ims-guest-writable/interrupt-isolation.json",
    "tdisp-flip-in-flight/dma-handle-coherence.json",
  ])("%s: every section, the violating step marked, no console error, nothing fetched", async (name) => {
    const { page, file, path, errors, requests } = await open(name)
    const t = file.scenario.topology
    expect(await texts(page, "section > h2")).toEqual(
      expect.arrayContaining([
        "Violation",
        "Reproduce",
        "Scenario",
        "Topology and initial page ownership",
        "Sequence",
        "Steps",
      ]),
    )
    // Topology and initial page ownership.
    expect(await texts(page, "#topology table.functions tbody td:first-child")).toEqual(t.functions.map((f) => f.rid))
    expect(await texts(page, "#topology table.pages tbody td:nth-child(3)")).toEqual([...t.pages])
    // Sequence diagram: a lane per actor, a row per step, the violating row marked.
    expect(await texts(page, "#sequence .lane-label")).toEqual([
      "host",
      ...t.vms,
      ...t.functions.map((f) => f.rid),
      ...(t.subdevices ?? []).map((d) => d.id),
      "IOMMU",
    ])
    expect(await page.$$eval("#sequence g.row", (rows) => rows.length)).toBe(file.commands.length)
    const marked = await page.$$eval("#sequence g.row.violation", (rows) =>
      rows.map((r) => r.getAttribute("data-step")),
    )
    expect(marked).toContain(String(file.stepIndex))
    // Steps: events and state diff per step; the property's statement and citation at the violation.
    expect(await page.$$eval("#steps article.step", (a) => a.length)).toBe(file.commands.length)
    const violating = `#step-${file.stepIndex}`
    expect(await page.$eval(violating, (a) => a.classList.contains("violation"))).toBe(true)
    const property = propertyById(file.property)
    expect(await texts(page, `${violating} .violation-detail .statement`)).toContain(property?.statement)
    expect(await texts(page, `${violating} .violation-detail .citation`)).toContain(property?.citation)
    expect((await texts(page, "#steps ul.diff li")).length).toBeGreaterThan(0)
    // How to reproduce.
    expect(await texts(page, "#reproduce .replay-command")).toEqual([`npx iovcheck replay ${path}`])
    expect((await texts(page, "#reproduce .driver"))[0]).toContain(
      file.driver === "random" ? `seed ${file.seed}` : "exploration",
    )
    expect(errors).toEqual([])
    expect(requests).toEqual([])
    await page.close()
  })

  it("shows the procedures' programs and where each in-flight procedure stands", async () => {
    const { page } = await open("sriov-ats-atc-before-iotlb/dma-isolation.json")
    expect((await texts(page, "#programs td:first-child")).join(" ")).toContain("unmap")
    expect((await texts(page, "#steps ul.in-flight li")).length).toBeGreaterThan(0)
    await page.close()
  })

  it("wraps long state diffs on a narrow screen and fits a printed A4 page", async () => {
    const { page } = await open("nested-shared-pdid/atc-coherence.json", 600)
    // Evaluated in the page (this project compiles without the DOM library, hence a string).
    const overflow = () =>
      page.evaluate(`({
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        diffs: [...document.querySelectorAll("#steps ul.diff code")].filter(
          (c) => c.getBoundingClientRect().right > c.closest("article").getBoundingClientRect().right + 1,
        ).length,
      })`)
    expect(await overflow()).toEqual({ page: 0, diffs: 0 })
    await page.emulateMediaType("print")
    await page.setViewport({ width: 718, height: 1000 }) // A4 less 1 cm margins, at 96 dpi
    expect(await overflow()).toEqual({ page: 0, diffs: 0 })
    expect((await page.pdf({ format: "A4" })).length).toBeGreaterThan(10_000)
    await page.close()
  })
})
