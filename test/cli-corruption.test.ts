/**
 * A corruption set: damaged, odd and foreign inputs driven through the CLI (in-process, see
 * `run-cli.ts`; a few through `bin/iovcheck.js` too). Each must exit 2 with one line on stderr
 * naming what is wrong, no stack trace, nothing on stdout, and no verdict: nothing written to the
 * output folder.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { counterexampleOf, decodeCounterexample, encodeCounterexample } from "../counterexamples/counterexample-file.ts"
import { runInProcess } from "./run-cli.ts"

const root = join(import.meta.dirname, "..")
const dir = mkdtempSync(join(tmpdir(), "iovcheck-corrupt-"))
/** The output folder every input that does not test `--out` names: it must stay empty. */
const probe = join(dir, "probe-out")

type Json = Record<string, unknown>
const readJson = (path: string): Json => JSON.parse(readFileSync(join(root, path), "utf8")) as Json
const scenarioJson = readJson("scenarios/sriov-ats-strict.json")
const counterexampleJson = readJson("corpus/sriov-ats-no-atc-invalidation/atc-coherence.json")
const tdispJson = readJson("corpus/tdisp-flip-in-flight/dma-handle-coherence.json")
/** The corpus file above written today: format version 2, with the programs its run used. */
const v2Json = ((): Json => {
  const d = decodeCounterexample(JSON.stringify(counterexampleJson))
  if (d._tag === "Error") throw new Error(d.message)
  const f = d.file
  const file = counterexampleOf(f.scenario, { ...f, seed: 1, path: "0" }, "0.1.0")
  return JSON.parse(encodeCounterexample(file)) as Json
})()

let files = 0
/** Writes `text` to a fresh file and returns its path. */
const file = (text: string, name = `f${files}.json`): string => {
  files++
  const path = join(dir, `${files}-${name}`)
  writeFileSync(path, text)
  return path
}
const copy = <T>(x: T): T => structuredClone(x)

/** A scenario file changed by `edit`. */
const scenarioFile = (edit: (s: Json & { topology: Json; policy: Json }) => void): string => {
  const s = copy(scenarioJson) as Json & { topology: Json; policy: Json }
  edit(s)
  return file(JSON.stringify(s, null, 2))
}
const topology = (edit: (t: Json & { functions: Array<Json> }) => void) =>
  scenarioFile((s) => edit(s.topology as Json & { functions: Array<Json> }))

/** A counterexample file (of `base`) changed by `edit`. */
const counterexampleFile = (
  edit: (c: Json & { commands: Array<Json>; scenario: Json & { policy: Json; topology: Json } }) => void,
  base: Json = counterexampleJson,
): string => {
  const c = copy(base) as Json & { commands: Array<Json>; scenario: Json & { policy: Json; topology: Json } }
  edit(c)
  return file(JSON.stringify(c, null, 2))
}
/** A counterexample whose command `index` is replaced by `command`. */
const command = (index: number, cmd: Json, base: Json = counterexampleJson) =>
  counterexampleFile((c) => {
    c.commands[index] = cmd
  }, base)

/** A minimal fuzz output folder (what `merge` reads), shard `index`/`count`. */
const shardFolder = (index: number, count: number): string => {
  const d = mkdtempSync(join(dir, "shard-"))
  writeFileSync(
    join(d, "summary.json"),
    JSON.stringify({
      iovcheck: "0.1.0",
      shard: { index, count },
      runs: 1,
      commands: 1,
      elapsedMs: 1,
      corpus: null,
      crashes: [],
      scenarios: [],
    }),
  )
  return d
}

const verify = (scenario: string) => ["verify", "--scenario", scenario, "--runs", "5", "--out", probe]
const replay = (path: string) => ["replay", path]

/** [class, name, argv, a fragment the one line must contain]. */
const corruptions: ReadonlyArray<readonly [string, string, ReadonlyArray<string>, string]> = [
  // Unknown keys: a misspelt knob must never silently become its default.
  ...(
    [
      [
        "misspelt policy knob",
        (s: Json & { policy: Json }) => (s.policy.atcInvalidaton = "skip"),
        '["policy"]["atcInvalidaton"]: unknown key "atcInvalidaton" (nearest: atcInvalidation',
      ],
      ["unknown top-level key", (s: Json) => (s.expectd = "safe"), '["expectd"]'],
      ["unknown topology key", (s: Json & { topology: Json }) => (s.topology.vfs = 2), '["topology"]["vfs"]'],
      [
        "unknown function key",
        (s: Json & { topology: Json }) =>
          ((s.topology.functions as Array<Json>)[1] = {
            rid: "01:00.1",
            kind: "vf",
            pf: "01:00.0",
            ats: true,
            atc: true,
          }),
        '["topology"]["functions"][1]["atc"]',
      ],
      [
        "unknown sub-device key",
        (s: Json & { topology: Json }) =>
          (s.topology.subdevices = [{ id: "adi1", kind: "adi", parent: "01:00.0", pasid: 1, pasdi: 2 }]),
        '["topology"]["subdevices"][0]["pasdi"]',
      ],
      [
        "unknown nesting key",
        (s: Json & { topology: Json }) => (s.topology.nesting = { tables: 1, levels: 4 }),
        '["nesting"]["levels"]',
      ],
      [
        "unknown expectation key",
        (s: Json) => (s.expected = { violates: ["atc-coherence"], also: 1 }),
        '["expected"]["also"]',
      ],
      [
        "unknown exploration key",
        (s: Json) => (s.exploration = { depth: 2, distinctStates: 5, seconds: 1 }),
        '["exploration"]["seconds"]',
      ],
    ] as const
  ).map(
    ([name, edit, fragment]) =>
      ["unknown key", name, verify(scenarioFile(edit as (s: Json) => void)), fragment] as const,
  ),
  [
    "unknown key",
    "misspelt knob inline in a counterexample",
    replay(counterexampleFile((c) => (c.scenario.policy.atcInvalidaton = "skip"))),
    '["scenario"]["policy"]["atcInvalidaton"]',
  ],
  ["unknown key", "unknown counterexample key", replay(counterexampleFile((c) => (c.sed = 4))), '["sed"]'],
  [
    "unknown key",
    "unknown command key",
    replay(command(1, { _tag: "HostMapIova", vm: "vm1", iova: 4096, page: 0, pasdi: 1 })),
    '["commands"][1]["pasdi"]',
  ],
  // Topology sanity: an empty or inconsistent world is an error, never "safe".
  ["topology", "zero functions", verify(topology((t) => (t.functions = []))), "at least one function"],
  ["topology", "zero pages", verify(topology((t) => (t.pages = []))), "at least one page"],
  ["topology", "zero IOVAs", verify(topology((t) => (t.iovas = []))), "at least one IOVA"],
  ["topology", "zero VMs", verify(topology((t) => (t.vms = []))), '["topology"]["vms"]'],
  [
    "topology",
    "duplicate RIDs",
    verify(
      topology((t) => (t.functions = [...t.functions, { rid: "01:00.1", kind: "vf", pf: "01:00.0", ats: false }])),
    ),
    "function RIDs must be distinct",
  ],
  [
    "topology",
    "VF whose PF is absent",
    verify(topology((t) => (t.functions = t.functions.filter((f) => f.kind === "vf")))),
    "must name an existing PF",
  ],
  [
    "topology",
    "IOVA not 4 KiB aligned",
    verify(topology((t) => (t.iovas = [4096, 4100]))),
    "4 KiB aligned IOVA, got 4100",
  ],
  ["topology", "duplicate IOVAs", verify(topology((t) => (t.iovas = [4096, 4096]))), "IOVAs must be distinct"],
  ["topology", "duplicate VMs", verify(topology((t) => (t.vms = ["vm1", "vm1"]))), "VM ids must be distinct"],
  [
    "topology",
    "page owned by an unknown VM",
    verify(topology((t) => (t.pages = ["vm3"]))),
    "page owner vm3 is not a VM",
  ],
  ["topology", "duplicate PASIDs", verify(topology((t) => (t.pasids = [1, 1]))), "PASIDs must be distinct"],
  [
    "topology",
    "sub-device of an absent function",
    verify(topology((t) => (t.subdevices = [{ id: "adi1", kind: "adi", parent: "02:00.0", pasid: 1 }]))),
    "must name an existing parent",
  ],
  [
    "topology",
    "confidential VM that is not a VM",
    verify(topology((t) => (t.confidential = ["vm7"]))),
    "confidential VM vm7",
  ],
  ["topology", "negative IOVA", verify(topology((t) => (t.iovas = [-4096]))), '["topology"]["iovas"][0]'],
  [
    "scenario value",
    "unknown policy value",
    verify(scenarioFile((s) => (s.policy.atcInvalidation = "sometimes"))),
    '["policy"]["atcInvalidation"]',
  ],
  ["scenario value", "unknown vendor", verify(scenarioFile((s) => (s.vendor = "arm"))), '["vendor"]'],
  [
    "scenario value",
    "unknown expected property",
    verify(scenarioFile((s) => (s.expected = { violates: ["nope"] }))),
    '["expected"]',
  ],
  ["scenario value", "bad scenario id", verify(scenarioFile((s) => (s.id = "My Scenario"))), '["id"]'],
  // Commands naming IDs outside the counterexample's own topology.
  ...(
    [
      ["RID 09:00.7", command(0, { _tag: "HostAssignFunction", rid: "09:00.7", vm: "vm1" }), '["commands"][0]["rid"]'],
      ["vm9", command(0, { _tag: "HostAssignFunction", rid: "01:00.1", vm: "vm9" }), '["commands"][0]["vm"]'],
      ["page 999", command(1, { _tag: "HostMapIova", vm: "vm1", iova: 4096, page: 999 }), '["commands"][1]["page"]'],
      [
        "page 2^40",
        command(1, { _tag: "HostMapIova", vm: "vm1", iova: 4096, page: 2 ** 40 }),
        '["commands"][1]["page"]',
      ],
      [
        "host IOVA outside the topology",
        command(1, { _tag: "HostMapIova", vm: "vm1", iova: 0x40000, page: 0 }),
        '["commands"][1]["iova"]',
      ],
      ["unknown procedure id", command(4, { _tag: "HostAdvance", pid: "unmap:vm1:0x9000" }), '["commands"][4]["pid"]'],
      ["procedure id of no kind", command(4, { _tag: "HostAdvance", pid: "frobnicate" }), '["commands"][4]["pid"]'],
      [
        "unknown sub-device",
        command(0, { _tag: "HostAssignSubdevice", sub: "adi7", vm: "vm1" }),
        '["commands"][0]["sub"]',
      ],
      [
        "unknown interface",
        command(0, { _tag: "DeviceRaiseInterrupt", iface: "mdev3", entry: 0 }),
        '["commands"][0]["iface"]',
      ],
      [
        "interrupt entry past the table",
        command(0, { _tag: "DeviceRaiseInterrupt", iface: "01:00.1", entry: 5 }),
        '["commands"][0]["entry"]',
      ],
      [
        "vector out of range",
        command(0, {
          _tag: "DeviceWriteMsiWindow",
          iface: "01:00.1",
          message: { _tag: "Compatibility", dest: "vm1", vector: 9 },
        }),
        '["message"]["vector"]: DeviceWriteMsiWindow: vector 9 is out of range',
      ],
      [
        "host PASID outside the topology",
        command(0, { _tag: "HostBindPasid", rid: "01:00.0", pasid: 9, vm: "vm1" }),
        '["commands"][0]["pasid"]',
      ],
      [
        "PASID past 20 bits",
        command(2, { _tag: "DeviceTranslationRequest", rid: "01:00.1", iova: 4096, pasid: 2 ** 20 }),
        '["commands"][2]["pasid"]',
      ],
      [
        "stage-1 table without nesting",
        command(0, { _tag: "GuestStage1Map", vm: "vm1", table: 1, iova: 4096, gpa: 4096 }),
        '["commands"][0]["table"]',
      ],
      [
        "message to an unknown VM",
        command(0, {
          _tag: "DeviceWriteMsiWindow",
          iface: "01:00.1",
          message: { _tag: "Compatibility", dest: "vm5", vector: 0 },
        }),
        '["message"]["dest"]',
      ],
      [
        "DMA handle 999",
        command(7, { _tag: "GuestDmaUnmap", vm: "vm1", rid: "01:00.1", handle: 999 }, tdispJson),
        '["commands"][7]["handle"]',
      ],
    ] as const
  ).map(([name, path, fragment]) => ["command id", name, replay(path), fragment] as const),
  // Damaged or foreign counterexample files.
  [
    "counterexample",
    "unknown command _tag",
    replay(command(0, { _tag: "HostAsignFunction", rid: "01:00.1", vm: "vm1" })),
    'unknown _tag "HostAsignFunction" (nearest: HostAssignFunction',
  ],
  ["counterexample", "command without _tag", replay(command(0, { rid: "01:00.1", vm: "vm1" })), 'missing "_tag"'],
  [
    "counterexample",
    "unknown message _tag",
    replay(
      command(0, {
        _tag: "DeviceWriteMsiWindow",
        iface: "01:00.1",
        message: { _tag: "Compat", dest: "vm1", vector: 0 },
      }),
    ),
    'unknown _tag "Compat"',
  ],
  [
    "counterexample",
    "command missing a field",
    replay(command(0, { _tag: "HostAssignFunction", rid: "01:00.1" })),
    '["commands"][0]["vm"]: Missing key',
  ],
  [
    "counterexample",
    "wrong field type",
    replay(command(1, { _tag: "HostMapIova", vm: "vm1", iova: "0x1000", page: 0 })),
    '["commands"][1]["iova"]',
  ],
  [
    "counterexample",
    "unknown format version",
    replay(counterexampleFile((c) => (c.formatVersion = 9))),
    "formatVersion",
  ],
  [
    "counterexample",
    "unknown operation in a recorded program",
    replay(counterexampleFile((c) => ((c.programs as Json).unmap = ["clear-pte", "flush-all", "free-page"]), v2Json)),
    '["programs"]["unmap"][1]',
  ],
  [
    "counterexample",
    "a procedure's recorded program missing",
    replay(counterexampleFile((c) => delete (c.programs as Json)["pasid-teardown"], v2Json)),
    '["programs"]["pasid-teardown"]: Missing key',
  ],
  [
    "counterexample",
    "a recorded program that cannot run",
    replay(counterexampleFile((c) => ((c.programs as Json).unmap = ["clear-pte", "wait-atc", "free-page"]), v2Json)),
    "programs.unmap: [1] wait-atc waits for ATS completions but no invalidate-atc comes before it",
  ],
  [
    "counterexample",
    "formatVersion 2 without programs",
    replay(counterexampleFile((c) => delete c.programs, v2Json)),
    '["programs"]: Missing key',
  ],
  [
    "counterexample",
    "formatVersion 1 with programs",
    replay(counterexampleFile((c) => (c.formatVersion = 1), v2Json)),
    '["programs"]: formatVersion 1 records no programs',
  ],
  ["counterexample", "unknown property", replay(counterexampleFile((c) => (c.property = "nope"))), '["property"]'],
  [
    "counterexample",
    "step index past the end",
    replay(counterexampleFile((c) => (c.stepIndex = 40))),
    "stepIndex 40 is past",
  ],
  ["counterexample", "negative step index", replay(counterexampleFile((c) => (c.stepIndex = -1))), '["stepIndex"]'],
  ["counterexample", "unknown driver", replay(counterexampleFile((c) => (c.driver = "magic"))), '["driver"]'],
  [
    "counterexample",
    "commands not a list",
    replay(counterexampleFile((c) => (c.commands = {} as unknown as Array<Json>))),
    '["commands"]',
  ],
  [
    "counterexample",
    "foreign JSON",
    replay(file(JSON.stringify({ hello: "world" }))),
    "not an iovcheck counterexample file",
  ],
  [
    "counterexample",
    "a scenario given to replay",
    replay(file(JSON.stringify(scenarioJson))),
    "not an iovcheck counterexample file",
  ],
  ["counterexample", "a JSON array", replay(file("[1, 2]")), "not an iovcheck counterexample file"],
  [
    "counterexample",
    "damaged inline topology",
    replay(counterexampleFile((c) => (c.scenario.topology.functions = []))),
    "at least one function",
  ],
  [
    "counterexample",
    "report of a damaged file",
    ["report", command(0, { _tag: "HostAssignFunction", rid: "09:00.7", vm: "vm1" }), "--out", probe],
    '["commands"][0]["rid"]',
  ],
  [
    "counterexample",
    "junit report of a foreign file",
    ["report", file("{}"), "--format", "junit", "--out", probe],
    "not an iovcheck counterexample file",
  ],
  // JSON syntax, with the position.
  [
    "json",
    "truncated counterexample",
    replay(file(JSON.stringify(counterexampleJson, null, 2).slice(0, 300))),
    "unexpected end of file",
  ],
  ["json", "trailing comma", verify(file('{\n  "id": "x",\n}')), "line 3, column 1"],
  ["json", "UTF-8 BOM", verify(file(`\uFEFF${JSON.stringify(scenarioJson)}`)), "byte order mark"],
  ["json", "BOM on a counterexample", replay(file(`\uFEFF${JSON.stringify(counterexampleJson)}`)), "byte order mark"],
  ["json", "empty file", replay(file("")), "the file is empty"],
  ["json", "comment", verify(file('{\n  // mine\n  "id": "x"\n}')), "line 2, column 3: comments are not JSON"],
  ["json", "single quotes", replay(file("{'format': 1}")), "line 1, column 2"],
  ["json", "bare word", replay(file('{"format": iovcheck}')), "line 1, column 12"],
  // Files and names.
  ["name", "missing scenario file", verify(join(dir, "nope.json")), "nope.json: no such file"],
  [
    "name",
    "unknown catalogue id",
    verify("sriov-ats-strikt"),
    'unknown scenario "sriov-ats-strikt": not a catalogue id (nearest: sriov-ats-strict',
  ],
  ["name", "folder as scenario", verify(dir), "a folder, not a scenario file"],
  ["name", "missing counterexample file", replay(join(dir, "nope.json")), "nope.json: no such file"],
  ["name", "folder as counterexample", replay(dir), "a folder, not a counterexample file"],
  // Flags.
  ["flag", "--runs 0", ["verify", "--runs", "0", "--out", probe], "--runs must be a positive integer"],
  ["flag", "--runs many", ["verify", "--runs", "many", "--out", probe], "--runs"],
  ["flag", "--max-steps -3", ["verify", "--max-steps", "-3", "--out", probe], "--max-steps must be a positive integer"],
  ["flag", "--depth 0", ["explore", "--depth", "0", "--out", probe], "--depth must be a positive integer"],
  [
    "flag",
    "--max-states 0",
    ["explore", "--max-states", "0", "--out", probe],
    "--max-states must be a positive integer",
  ],
  ["flag", "--time 0s", ["fuzz", "--time", "0s", "--out", probe], "--time must be a positive duration"],
  ["flag", "--time soon", ["fuzz", "--time", "soon", "--out", probe], "--time must be a positive duration"],
  ["flag", "--workers 0", ["fuzz", "--workers", "0", "--out", probe], "--workers must be a positive integer"],
  ["flag", "--shard 3/2", ["fuzz", "--shard", "3/2", "--out", probe], "--shard must be I/N"],
  ["flag", "--shard 0/0", ["fuzz", "--shard", "0/0", "--out", probe], "--shard must be I/N"],
  ["flag", "unknown flag", ["verify", "--bogus"], "Unrecognized flag: --bogus"],
  ["flag", "unknown subcommand", ["frobnicate"], 'Unknown subcommand "frobnicate"'],
  ["flag", "--format pdf", ["report", "--format", "pdf", "x.json"], "pdf"],
  ["flag", "replay without a file", ["replay"], "file"],
  // Output folders: checked before any work.
  ...(["verify", "explore", "fuzz"] as const).flatMap((cmd) => [
    [
      "out",
      `${cmd} --out under a file`,
      [cmd, "--scenario", "sriov-ats-strict", "--out", "/etc/passwd/x"],
      "/etc/passwd is a file, not a folder",
    ] as const,
    [
      "out",
      `${cmd} --out under /proc`,
      [cmd, "--scenario", "sriov-ats-strict", "--out", "/proc/x"],
      "--out /proc/x: unusable output folder",
    ] as const,
  ]),
  [
    "out",
    "report --out under a file",
    ["report", join(root, "corpus/vfio-noiommu/dma-isolation.json"), "--out", "/etc/passwd/x"],
    "/etc/passwd is a file",
  ],
  ["out", "merge --out under a file", ["merge", shardFolder(1, 1), "--out", "/etc/passwd/x"], "/etc/passwd is a file"],
  [
    "out",
    "fuzz --corpus under a file",
    ["fuzz", "--corpus", "/etc/passwd/c", "--out", probe],
    "--corpus /etc/passwd/c",
  ],
  // Merge inputs.
  ["merge", "missing folder", ["merge", join(dir, "none"), "--out", probe], "no such folder"],
  ["merge", "not a fuzz output", ["merge", mkdtempSync(join(dir, "empty-")), "--out", probe], "not a fuzz output"],
  [
    "merge",
    "a verify output",
    [
      "merge",
      (() => {
        const d = mkdtempSync(join(dir, "verify-out-"))
        writeFileSync(join(d, "summary.json"), JSON.stringify({ iovcheck: "0.1.0", seed: 1, scenarios: [] }))
        return d
      })(),
      "--out",
      probe,
    ],
    "not a fuzz summary",
  ],
  [
    "merge",
    "damaged summary",
    [
      "merge",
      (() => {
        const d = mkdtempSync(join(dir, "damaged-"))
        writeFileSync(join(d, "summary.json"), '{"iovcheck": "0.1.0", "shard": {')
        return d
      })(),
      "--out",
      probe,
    ],
    "unexpected end of file",
  ],
  [
    "merge",
    "shards of different counts",
    ["merge", shardFolder(1, 2), shardFolder(2, 4), "--out", probe],
    "shards of different runs",
  ],
  ["merge", "the same shard twice", ["merge", shardFolder(1, 2), shardFolder(1, 2), "--out", probe], "given twice"],
  [
    "merge",
    "damaged finding",
    [
      "merge",
      (() => {
        const d = shardFolder(1, 1)
        mkdirSync(join(d, "findings", "s"), { recursive: true })
        writeFileSync(join(d, "findings", "s", "p.json"), "{")
        return d
      })(),
      "--out",
      probe,
    ],
    "p.json: not valid JSON",
  ],
]

const classes = [...new Set(corruptions.map(([c]) => c))]

describe(`a corruption set of ${corruptions.length} inputs in ${classes.length} classes`, () => {
  it.each(corruptions.map(([c, name, argv, fragment]) => [`${c}: ${name}`, argv, fragment] as const))(
    "%s: exit 2, one line naming it, no stack trace, no verdict",
    async (_name, argv, fragment) => {
      const r = await runInProcess(...argv)
      expect(r.stdout).toBe("")
      expect(r.stderr.endsWith("\n")).toBe(true)
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
      expect(r.stderr.startsWith("iovcheck: ")).toBe(true)
      expect(r.stderr).toContain(fragment)
      expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+|Error:|node:internal/)
      expect(r.code).toBe(2)
    },
  )

  it("holds at least 60 inputs, and no input wrote anything to the output folder", () => {
    expect(corruptions.length).toBeGreaterThanOrEqual(60)
    let written: Array<string> = []
    try {
      written = readdirSync(probe)
    } catch {}
    expect(written).toEqual([])
  })

  it("gives the same exit code and one line through bin/iovcheck.js", () => {
    const picks = [corruptions[0], corruptions.find(([c]) => c === "command id")].filter((x) => x !== undefined)
    expect(picks).toHaveLength(2)
    for (const [, , argv, fragment] of picks) {
      const r = spawnSync(process.execPath, [join(root, "bin", "iovcheck.js"), ...argv], { encoding: "utf8" })
      expect(r.status).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
      expect(r.stderr).toContain(fragment)
    }
  })
})
