/**
 * Format version 2 of counterexample files: a file records the programs its run used, and replay
 * runs those, so a file keeps its verdict when a later iovcheck changes a preset; a version 1 file
 * (no programs) replays as it always did, under the programs this version resolves.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { replay } from "../drivers/replay.ts"
import { renderReplay } from "../reports/replay-report.ts"
import { runInProcess } from "../test/run-cli.ts"
import { scenario } from "../test/helpers.ts"
import {
  type CounterexampleFile,
  counterexampleOf,
  decodeCounterexample,
  encodeCounterexample,
  FORMAT_VERSION,
} from "./counterexample-file.ts"

const root = join(import.meta.dirname, "..")
const dir = mkdtempSync(join(tmpdir(), "iovcheck-format-"))

/** A decoded file, failing the test on a decoding error. */
const decoded = (text: string): CounterexampleFile => {
  const d = decodeCounterexample(text)
  if (d._tag === "Error") throw new Error(d.message)
  return d.file
}

/** The corpus's version 1 file: a stale ATC entry after an unmap that skips the ATC invalidation. */
const v1Text = readFileSync(join(root, "corpus/sriov-ats-no-atc-invalidation/atc-coherence.json"), "utf8")
const v1 = decoded(v1Text)

/** The same trace written today (format version 2) under the catalogue scenario `id`. */
const writtenToday = (id: string): CounterexampleFile =>
  counterexampleOf(
    scenario(id),
    { property: v1.property, stepIndex: v1.stepIndex, message: v1.message, commands: v1.commands, seed: 1, path: "0" },
    "0.1.0",
  )

/** `file` as JSON, changed by `edit`, decoded again (as a user's edited file would be). */
const edited = (file: CounterexampleFile, edit: (json: Record<string, unknown> & { programs: Json }) => void) => {
  const json = JSON.parse(encodeCounterexample(file)) as Record<string, unknown> & { programs: Json }
  edit(json)
  return JSON.stringify(json, null, 2)
}
type Json = Record<string, unknown>

/** The unmap program with ATC invalidation (the preset of `atcInvalidation: "on"`), and without. */
const withAtc = ["clear-pte", { op: "invalidate-iotlb", scope: "range" }, "invalidate-atc", "wait-atc", "free-page"]
const withoutAtc = ["clear-pte", { op: "invalidate-iotlb", scope: "range" }, "free-page"]

/** Writes `text` to a fresh file and replays it through the CLI. */
const cliReplay = (text: string, name: string) => {
  const path = join(dir, `${name}.json`)
  writeFileSync(path, text)
  return runInProcess("replay", path)
}

describe("counterexample files, format version 2", () => {
  it("record every procedure's resolved program, round-trip, and reproduce", async () => {
    const file = writtenToday("sriov-ats-no-atc-invalidation")
    expect(file.formatVersion).toBe(FORMAT_VERSION)
    expect(FORMAT_VERSION).toBe(2)
    expect(file.programs?.unmap).toEqual(withoutAtc)
    expect(file.programs?.["pasid-teardown"]).toContainEqual({ op: "invalidate-pasid-cache", tag: "old" })
    const text = encodeCounterexample(file)
    expect(decoded(text)).toEqual(file)
    expect(replay(decoded(text)).verdict).toBe("reproduced")
    const r = await cliReplay(text, "today")
    expect(r.code).toBe(1)
    expect(r.stdout).toContain("reproduced: atc-coherence violated at step 5, as recorded")
    expect(r.stdout).not.toContain("this version would run")
  })

  it("replay with the recorded program where this version's preset lacks an operation it has", () => {
    // Written when the unmap preset skipped the ATC invalidation; today's preset for these knobs
    // (atcInvalidation "on") invalidates the ATC, and would run the trace clean.
    const strict = writtenToday("sriov-ats-strict")
    expect(strict.programs?.unmap.map((o) => (typeof o === "string" ? o : o.op))).toEqual([
      "clear-pte",
      "invalidate-iotlb",
      "invalidate-atc",
      "wait-atc",
      "free-page",
    ])
    expect(replay(strict).verdict).toBe("clean")
    const old = decoded(edited(strict, (j) => (j.programs.unmap = withoutAtc)))
    const result = replay(old)
    expect(result.verdict).toBe("reproduced")
    expect(renderReplay(old, result)).toContain(
      "recorded by the file; this version would run: clear-pte → invalidate-iotlb(scope=range) → invalidate-atc(targets=domain-users, range=range) → wait-atc(onTimeout=fence) → free-page",
    )
    // The same file at version 1 (no programs) takes today's preset: its verdict is today's.
    const asV1 = decoded(
      edited(old, (j) => {
        j.formatVersion = 1
        delete (j as Partial<typeof j>).programs
      }),
    )
    expect(replay(asV1).verdict).toBe("clean")
  })

  it("keep the verdict of a PASID teardown recorded before its preset gained the PASID-cache invalidation", async () => {
    // Found (iovcheck explore, 8 commands) with the teardown program of the old preset: the PASID
    // cache keeps the torn-down entry. Today's preset for the same knobs invalidates it.
    const commands: CounterexampleFile["commands"] = [
      { _tag: "HostMapIova", vm: "vm1", iova: 4096, page: 0 },
      { _tag: "HostBindPasid", rid: "01:00.0", pasid: 1, vm: "vm1" },
      { _tag: "DevicePasidRequest", rid: "01:00.0", pasid: 1, iova: 4096, access: "read", privileged: false },
      { _tag: "HostUnbindPasid", rid: "01:00.0", pasid: 1 },
      { _tag: "HostAdvance", pid: "pasid:01:00.0:1" },
      { _tag: "HostAdvance", pid: "pasid:01:00.0:1" },
      { _tag: "HostAdvance", pid: "pasid:01:00.0:1" },
      { _tag: "HostAdvance", pid: "pasid:01:00.0:1" },
    ]
    const today = counterexampleOf(
      scenario("pri-teardown-drain"),
      { property: "entry-cache-coherence", stepIndex: 7, message: "m", commands, seed: 1, path: "0" },
      "0.1.0",
    )
    expect(today.programs?.["pasid-teardown"].map((o) => (typeof o === "string" ? o : o.op))).toContain(
      "invalidate-pasid-cache",
    )
    expect(replay(today).verdict).toBe("clean")
    const old = edited(
      today,
      (j) => (j.programs["pasid-teardown"] = ["clear-entry", "invalidate-atc", "wait-atc", "drain-prq", "free-pasid"]),
    )
    expect(replay(decoded(old)).verdict).toBe("reproduced")
    const r = await cliReplay(old, "old-teardown")
    expect(r.code).toBe(1)
    expect(r.stdout).toContain("reproduced: entry-cache-coherence violated at step 7, as recorded")
    expect(r.stdout).toContain("pasid-teardown (preset): clear-entry → invalidate-atc → wait-atc")
    // Without its programs (version 1) the same trace takes today's preset, and runs clean.
    const asV1 = edited(decoded(old), (j) => {
      j.formatVersion = 1
      delete (j as Partial<typeof j>).programs
    })
    expect(replay(decoded(asV1)).verdict).toBe("clean")
  })

  it("replay with the recorded program where this version's preset lacks an operation it has not", async () => {
    // The knobs preset an unmap without ATC invalidation; the recorded program has it: clean.
    const fixed = edited(writtenToday("sriov-ats-no-atc-invalidation"), (j) => (j.programs.unmap = withAtc))
    expect(replay(decoded(fixed)).verdict).toBe("clean")
    const r = await cliReplay(fixed, "fixed")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("clean: the trace runs without violation")
  })

  it("are refused with one line when programs are damaged", () => {
    const file = writtenToday("sriov-ats-no-atc-invalidation")
    const error = (text: string): string => {
      const d = decodeCounterexample(text)
      return d._tag === "Error" ? d.message : "decoded"
    }
    const cases: ReadonlyArray<readonly [(j: Json & { programs: Json }) => void, string]> = [
      [(j) => (j.programs.unmap = ["clear-pte", "flush-everything", "free-page"]), 'at ["programs"]["unmap"][1]'],
      [(j) => delete j.programs.reset, 'at ["programs"]["reset"]: Missing key'],
      [(j) => delete (j.programs["guest-queue"] as Json).wait, 'at ["programs"]["guest-queue"]["wait"]: Missing key'],
      [(j) => (j.programs.unmap = ["free-page"]), "programs.unmap: must clear the PTE exactly once"],
      [(j) => (j.programs.extra = []), 'at ["programs"]["extra"]: unknown key'],
      [(j) => delete (j as Json).programs, 'at ["programs"]: Missing key (formatVersion 2'],
      [(j) => (j.formatVersion = 1), 'at ["programs"]: formatVersion 1 records no programs'],
    ]
    for (const [edit, fragment] of cases) {
      const message = error(edited(file, edit))
      expect(message).toContain(fragment)
      expect(message).not.toContain("\n")
    }
  })
})

describe("counterexample files, format version 1", () => {
  it("still decode without programs and replay under the programs this version resolves", () => {
    expect(v1.formatVersion).toBe(1)
    expect(v1.programs).toBeUndefined()
    const result = replay(v1)
    expect(result.verdict).toBe("reproduced")
    expect(renderReplay(v1, result)).toContain("unmap (preset): clear-pte → invalidate-iotlb(scope=range) → free-page")
    expect(renderReplay(v1, result)).not.toContain("this version would run")
  })
})
