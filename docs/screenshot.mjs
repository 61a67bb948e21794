// Makes docs/report.png, the README's screenshot of a counterexample report: the HTML report of
// a corpus finding, rendered by headless Chromium (Debian's `chromium`, or CHROMIUM_PATH) from the
// built library. Run after `npm run build`: `node docs/screenshot.mjs`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import puppeteer from "puppeteer-core"
import { loadCounterexample, renderCounterexampleHtml } from "../dist/api/index.js"

const finding = "corpus/sriov-ats-atc-before-iotlb/dma-isolation.json"
const root = join(import.meta.dirname, "..")
const work = mkdtempSync(join(tmpdir(), "iovcheck-screenshot-"))
const html = join(work, "report.html")
writeFileSync(html, renderCounterexampleHtml(loadCounterexample(join(root, finding)), { path: finding }))
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox"],
})
const page = await browser.newPage()
await page.setViewport({ width: 1100, height: 900 })
await page.goto(pathToFileURL(html).href)
// From the top of the page to the end of the sequence diagram.
const bottom = await page.$eval("#sequence", (e) => e.getBoundingClientRect().bottom + window.scrollY)
await page.screenshot({
  path: join(root, "docs", "report.png"),
  clip: { x: 0, y: 0, width: 1100, height: bottom + 16 },
})
await browser.close()
rmSync(work, { recursive: true, force: true })
console.log("docs/report.png")
