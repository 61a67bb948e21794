/**
 * The deployment files, checked where a test can reach them (no cluster here): the Kubernetes
 * manifests parse, say what the pods need, and their shell command, run by `sh` with the
 * environment Kubernetes would give a pod (`node` replaced by a stub that records how it was
 * called), execs node as the container's main process with a per-pod output folder, the seed of
 * the Job and the workers of the CPU request. The nightly workflow's split of `npm run prove`
 * selects every prove test once.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { catalogue } from "../scenarios/catalogue.ts"

const deploy = join(import.meta.dirname, "..", "deploy")

interface Container {
  name: string
  image: string
  command: Array<string>
  args: Array<string>
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, Record<string, string>> }>
  resources?: { requests?: { cpu?: string } }
  volumeMounts: Array<{ name: string; mountPath: string }>
}
interface JobManifest {
  kind: string
  spec: {
    completionMode?: string
    completions?: number
    template: { spec: { containers: Array<Container>; initContainers?: Array<Container> } }
  }
}

const manifest = (file: string): JobManifest => {
  const docs = parseAllDocuments(readFileSync(join(deploy, file), "utf8"))
  expect(docs).toHaveLength(1)
  const doc = docs[0]
  expect(doc?.errors).toEqual([])
  return doc?.toJS() as JobManifest
}

/** Runs a container's `sh -c` script with `env`, `node` being a stub that records its pid and argv. */
const simulate = (container: Container, env: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "iovcheck-pod-"))
  const stub = join(dir, "node")
  writeFileSync(stub, `#!/bin/sh\necho "pid=$$"\nfor a in "$@"; do echo "arg=$a"; done\n`)
  chmodSync(stub, 0o755)
  expect(container.command).toEqual(["sh", "-c"])
  const r = spawnSync("sh", ["-c", container.args[0] ?? ""], {
    encoding: "utf8",
    env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
  })
  expect(r.status).toBe(0)
  const lines = r.stdout.trim().split("\n")
  return {
    shellPid: r.pid,
    nodePid: Number(lines[0]?.replace("pid=", "")),
    argv: lines.slice(1).map((l) => l.replace(/^arg=/, "")),
  }
}

const flag = (argv: ReadonlyArray<string>, name: string) => argv[argv.indexOf(name) + 1]

describe("deploy/k8s-indexed-job.yaml", () => {
  const job = manifest("k8s-indexed-job.yaml")
  const pod = job.spec.template.spec
  const fuzz = pod.containers[0] as Container
  const env = (name: string) => fuzz.env?.find((e) => e.name === name)

  it("is an Indexed Job whose pods install nothing: the image has the build", () => {
    expect(job.kind).toBe("Job")
    expect(job.spec.completionMode).toBe("Indexed")
    expect(pod.initContainers).toBeUndefined()
    expect(JSON.stringify(pod)).not.toMatch(/npm (ci|install)/)
    expect(fuzz.image).not.toMatch(/^node:/)
    expect(readFileSync(join(deploy, "Dockerfile"), "utf8")).toContain("RUN npm ci")
  })

  it("takes the shard count from IOVCHECK_SHARDS = completions, the workers from the CPU request, the seed from the Job", () => {
    expect(env("IOVCHECK_SHARDS")?.value).toBe(String(job.spec.completions))
    expect(env("IOVCHECK_WORKERS")?.valueFrom?.resourceFieldRef).toMatchObject({ resource: "requests.cpu" })
    expect(env("IOVCHECK_JOB_UID")?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['batch.kubernetes.io/controller-uid']",
    )
  })

  it("execs node as PID 1 with a per-pod output folder, the Job's seed and the request's workers", () => {
    const podEnv = (index: number, uid: string) => ({
      JOB_COMPLETION_INDEX: String(index),
      IOVCHECK_SHARDS: "8",
      IOVCHECK_TIME: "50m",
      IOVCHECK_WORKERS: "2",
      IOVCHECK_JOB_UID: uid,
    })
    const a = simulate(fuzz, podEnv(3, "3f2a9c1e-0b7d-4e55-9a0c-1d2e3f4a5b6c"))
    // exec: the shell's process became node (no shell left to swallow SIGTERM).
    expect(a.nodePid).toBe(a.shellPid)
    expect(a.argv.slice(0, 2)).toEqual(["/app/bin/iovcheck.js", "fuzz"])
    expect(flag(a.argv, "--out")).toBe("/out/shard-3")
    expect(flag(a.argv, "--workers")).toBe("2")
    expect(flag(a.argv, "--seed")).toBe(String(0x3f2a9c1))
    expect(flag(a.argv, "--corpus")).toBe("/app/corpus")
    // Another pod of the same Job: same seed, its own folder; another Job: another seed.
    const b = simulate(fuzz, podEnv(5, "3f2a9c1e-0b7d-4e55-9a0c-1d2e3f4a5b6c"))
    expect(flag(b.argv, "--seed")).toBe(flag(a.argv, "--seed"))
    expect(flag(b.argv, "--out")).toBe("/out/shard-5")
    const c = simulate(fuzz, podEnv(3, "0a1b2c3d-0000-4000-8000-000000000000"))
    expect(flag(c.argv, "--seed")).not.toBe(flag(a.argv, "--seed"))
  })
})

describe("deploy/k8s-merge-job.yaml", () => {
  it("execs node merge over every shard's folder", () => {
    const merge = manifest("k8s-merge-job.yaml").spec.template.spec.containers[0] as Container
    const r = simulate(merge, {})
    expect(r.nodePid).toBe(r.shellPid)
    // No /out here, so the glob stays unexpanded; in the pod it names every shard's folder.
    expect(r.argv).toEqual(["/app/bin/iovcheck.js", "merge", "/out/shard-*", "--out", "/out/merged"])
  })
})

describe(".github/workflows/nightly.yml", () => {
  it("splits npm run prove into jobs whose test patterns together select every prove test exactly once", () => {
    const text = readFileSync(join(import.meta.dirname, "..", ".github", "workflows", "nightly.yml"), "utf8")
    const workflow = parseAllDocuments(text)[0]?.toJS() as {
      jobs: { prove: { strategy: { matrix: { include: Array<{ part: string; tests: string }> } } } }
    }
    const patterns = workflow.jobs.prove.strategy.matrix.include.map((p) => new RegExp(p.tests))
    // The full names vitest matches -t against: describe and test names joined by a space (pins.prove.ts, deep-bug.prove.ts).
    const all = catalogue()
    const names = [
      ...all.flatMap((s) =>
        s.proof === undefined
          ? []
          : [
              `proof of ${s.id} no violation up to its pinned depth, with its pinned distinct-state count`,
              `proof of ${s.id} the same with symmetry reduction, in fewer states`,
            ],
      ),
      ...all.flatMap((s) =>
        s.shortest === undefined
          ? []
          : [
              `shortest counterexamples of ${s.id} are as long as pinned`,
              `shortest counterexamples of ${s.id} are as long as pinned with symmetry reduction`,
            ],
      ),
      "finds a violation whose shortest trace has 17 commands",
    ]
    expect(names.filter((n) => patterns.filter((p) => p.test(n)).length !== 1)).toEqual([])
    expect(patterns.every((p) => names.some((n) => p.test(n)))).toBe(true)
  })
})
