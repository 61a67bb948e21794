#!/usr/bin/env node
// The project's one formatter and linter: Biome, run through its WebAssembly build
// (@biomejs/wasm-nodejs + @biomejs/js-api) because the npm registry these machines use serves the
// native @biomejs/cli-* packages for Linux only, which leaves `npm ci` with an incomplete lock file.
// Usage: node biome-check.mjs [--write]   (checks, or with --write reformats, every source file)
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { Biome, Distribution, spanInBytesToSpanInCodeUnits } from "@biomejs/js-api"

const root = import.meta.dirname
const write = process.argv.includes("--write")
const { $schema: _schema, ...configuration } = JSON.parse(readFileSync(join(root, "biome.json"), "utf8"))
const ignored = new Set([
  "node_modules",
  "dist",
  "iovcheck-out",
  "iovcheck-fuzz",
  "iovcheck-merged",
  "iovcheck-mutate",
  "bench-out",
  "corpus",
  ".git",
  "package-lock.json",
])
const extensions = /\.(ts|mjs|js|json)$/

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    ignored.has(e.name)
      ? []
      : e.isDirectory()
        ? files(join(dir, e.name))
        : extensions.test(e.name)
          ? [join(dir, e.name)]
          : [],
  )

const biome = await Biome.create({ distribution: Distribution.NODE })
const { projectKey } = biome.openProject(root)
biome.applyConfiguration(projectKey, configuration)

let problems = 0
for (const file of files(root).sort()) {
  const filePath = relative(root, file)
  const content = readFileSync(file, "utf8")
  const lint = biome.lintContent(projectKey, content, { filePath })
  const errors = lint.diagnostics.filter((d) => d.severity === "error" || d.severity === "warning")
  if (errors.length > 0) {
    problems += errors.length
    for (const d of errors) {
      const [start] = spanInBytesToSpanInCodeUnits(d.location.span ?? [0, 0], content)
      const before = content.slice(0, start).split("\n")
      process.stderr.write(
        `${filePath}:${before.length}:${(before.at(-1)?.length ?? 0) + 1} ${d.category}: ${d.description}\n`,
      )
    }
  }
  const formatted = biome.formatContent(projectKey, content, { filePath }).content
  if (formatted !== content) {
    if (write) writeFileSync(file, formatted)
    else {
      problems++
      process.stderr.write(`${filePath}: not formatted (run npm run format)\n`)
    }
  }
}
if (problems > 0) {
  process.stderr.write(`biome: ${problems} problem(s)\n`)
  process.exit(1)
}
