/**
 * The package as a user gets it: `npm pack` of the built tree (`npm test` builds before vitest;
 * run `npm run build` first when running this file alone), installed into a fresh project in a
 * temporary folder with `npm install --prefer-offline` (the npm cache that `npm ci` filled; no
 * TypeScript and no `prepare` in that project), then used as the README shows:
 * - from TypeScript: the user's files type-check against the shipped `.d.ts` (with the repository's
 *   `tsc`, since the user project installs no compiler), the library's results typed as the
 *   `--json` documents;
 * - through `iovcheck/vitest`: a first run writes the unsafe scenario's counterexample beside the
 *   test, a CI run replays it, and a failing scenario prints its trace and the file's path;
 * - from the CLI: `npx iovcheck replay` of the written counterexample.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const repo = join(import.meta.dirname, "..")
const work = mkdtempSync(join(tmpdir(), "iovcheck-package-"))
const project = join(work, "user-project")
const vitestVersion = (
  JSON.parse(readFileSync(join(repo, "node_modules", "vitest", "package.json"), "utf8")) as {
    version: string
  }
).version

/** The environment of a user's shell: no CI marker and nothing of the vitest run around this one. */
const userEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("VITEST") && !["CI", "TEST", "NODE_ENV", "FORCE_COLOR"].includes(k)) env[k] = v
  return { ...env, NO_COLOR: "1", ...extra }
}

const run = (command: string, args: ReadonlyArray<string>, extra: Record<string, string> = {}) => {
  const r = spawnSync(command, args, { cwd: project, env: userEnv(extra), encoding: "utf8", timeout: 240_000 })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

const scenarioFile = (id: string, change: Record<string, unknown> = {}): string => {
  const s = JSON.parse(readFileSync(join(repo, "scenarios", `${id}.json`), "utf8")) as Record<string, unknown>
  return `${JSON.stringify({ ...s, $schema: "../node_modules/iovcheck/schemas/scenario.schema.json", ...change }, null, 2)}\n`
}

beforeAll(() => {
  expect(existsSync(join(repo, "dist", "api", "index.d.ts")), "run `npm run build` first").toBe(true)
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  ) as ReadonlyArray<{ filename: string }>
  const tarball = join(work, packed[0]?.filename ?? "")
  mkdirSync(join(project, "designs"), { recursive: true })
  writeFileSync(join(project, "package.json"), '{ "name": "user-project", "private": true, "type": "module" }\n')
  const install = run("npm", [
    "install",
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    "--no-package-lock",
    tarball,
    `vitest@${vitestVersion}`,
  ])
  expect(install.code, install.out).toBe(0)
  writeFileSync(join(project, "designs", "sriov-ats-strict.json"), scenarioFile("sriov-ats-strict"))
  writeFileSync(join(project, "designs", "vfio-noiommu.json"), scenarioFile("vfio-noiommu"))
  writeFileSync(
    join(project, "designs", "noiommu-claimed-safe.json"),
    scenarioFile("vfio-noiommu", { id: "noiommu-claimed-safe", expected: "safe" }),
  )
  writeFileSync(
    join(project, "designs.test.ts"),
    `import { scenarioTests } from "iovcheck/vitest"

scenarioTests("designs/sriov-ats-strict.json", { runs: 100, depth: 3 })
scenarioTests("designs/vfio-noiommu.json", { runs: 100 })
`,
  )
  writeFileSync(
    join(project, "claimed-safe.test.ts"),
    `import { scenarioTests } from "iovcheck/vitest"

scenarioTests("designs/noiommu-claimed-safe.json", { runs: 100, depth: 3 })
`,
  )
  writeFileSync(
    join(project, "library.ts"),
    `import { loadScenario, properties, type ScenarioReport, type VerifyReport, verify } from "iovcheck"

const report: VerifyReport = verify(loadScenario("designs/vfio-noiommu.json"), { runs: 100, exploreStates: 1000, out: "iovcheck-out" })
const first: ScenarioReport | undefined = report.scenarios[0]
const verdict: "safe" | "unsafe" | undefined = first?.verdict
console.log(verdict, first?.violations.map((v) => \`\${v.property}: \${v.shrunkLength} commands in \${v.file}\`), properties.length)
`,
  )
  writeFileSync(
    join(project, "tsconfig.json"),
    `${JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      include: ["*.ts"],
    })}\n`,
  )
}, 300_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("the packed tarball in a fresh project", () => {
  it("installs without TypeScript, ships dist with types, the schemas and the catalogue, but no sources", () => {
    const installed = join(project, "node_modules", "iovcheck")
    for (const f of ["dist/api/index.d.ts", "dist/vitest/index.js", "schemas/scenario.schema.json", "bin/iovcheck.js"])
      expect(existsSync(join(installed, f)), f).toBe(true)
    expect(existsSync(join(installed, "scenarios", "sriov-ats-strict.json"))).toBe(true)
    expect(existsSync(join(installed, "api"))).toBe(false)
    expect(existsSync(join(installed, "dist", "bench"))).toBe(false)
    expect(existsSync(join(project, "node_modules", "typescript"))).toBe(false)
  })

  it("type-checks the user's library and vitest files against the shipped declarations", () => {
    // One deliberate mistake beside the user's files: the only error is that one.
    writeFileSync(
      join(project, "mistake.ts"),
      'import { verify } from "iovcheck"\nexport const n: string = verify([]).seed\n',
    )
    const tsc = run(join(repo, "node_modules", ".bin", "tsc"), ["-p", "."])
    rmSync(join(project, "mistake.ts"))
    expect(tsc.out.trim()).toBe("mistake.ts(2,14): error TS2322: Type 'number' is not assignable to type 'string'.")
  })

  it("runs the scenario tests: the first run writes the counterexample, a CI run replays it", () => {
    const first = run("npx", ["vitest", "run", "designs.test.ts"])
    expect(first.code, first.out).toBe(0)
    expect(first.out).toContain("Tests  4 passed (4)")
    const stored = join(project, "__counterexamples__", "vfio-noiommu", "dma-isolation.json")
    expect(existsSync(stored)).toBe(true)
    expect(existsSync(stored.replace(/json$/, "html"))).toBe(true)
    const ci = run("npx", ["vitest", "run", "designs.test.ts"], { CI: "true" })
    expect(ci.code, ci.out).toBe(0)
    expect(ci.out).toContain("Tests  3 passed | 1 skipped (4)")
  })

  it("a failing scenario test prints the shrunk trace in replay format and its counterexample file", () => {
    const failing = run("npx", ["vitest", "run", "claimed-safe.test.ts"])
    expect(failing.code).toBe(1)
    expect(failing.out).toContain("noiommu-claimed-safe: dma-isolation violated at step 1, expected safe")
    expect(failing.out).toContain("#0 host  HostAssignFunction(rid=01:00.1, vm=vm1)  -> Ok")
    expect(failing.out).toContain("reproduced: dma-isolation violated at step 1, as recorded")
    expect(failing.out).toContain("counterexample: __counterexamples__/noiommu-claimed-safe/dma-isolation.json")
    expect(failing.out).toContain("replay:         npx iovcheck replay __counterexamples__/noiommu-claimed-safe/")
  })

  it("runs the CLI: npx iovcheck replay of the counterexample the test wrote", () => {
    const replayed = run("npx", ["iovcheck", "replay", "__counterexamples__/vfio-noiommu/dma-isolation.json"])
    expect(replayed.code).toBe(1)
    expect(replayed.out).toContain("reproduced: dma-isolation violated at step 1, as recorded")
  })
})
