/**
 * The random driver's choice of a command is part of every seed's meaning: the same choice in the
 * same state must pick the same command as the straightforward definition below (kinds first,
 * rare kinds four times rarer, the progress bias), however `pickCommand` computes it.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Command } from "../model/command.ts"
import { COMMAND_KINDS, pickCommand, type Swarm } from "./random.ts"

const RARE = new Set([
  "DeviceSurpriseRemoval",
  "DeviceHang",
  "HostReleaseFunction",
  "HostReassignFunction",
  "GuestResetFunction",
])
const PROGRESS = new Set(["HostAdvance", "DeviceCompleteAtsInvalidation"])

/** The definition: each step as the documentation of `pickCommand` states it. */
const reference = (options: ReadonlyArray<Command>, choice: number, swarm?: Swarm, progress?: boolean) => {
  if (options.length === 0) return undefined
  let kinds = [...new Set(options.map((o) => o._tag))]
  if (swarm !== undefined) {
    const kept = kinds.filter((k) => swarm.has(k))
    if (kept.length > 0) kinds = kept
  }
  let c = choice
  const common = kinds.filter((k) => !RARE.has(k))
  if (common.length > 0 && common.length < kinds.length) {
    if (c % 4 !== 0) kinds = common
    c = Math.floor(c / 4)
  }
  if (progress === true) {
    const moving = kinds.filter((k) => PROGRESS.has(k))
    if (moving.length > 0) {
      if (c % 3 === 0) kinds = moving
      c = Math.floor(c / 3)
    }
  }
  const kind = kinds[c % kinds.length]
  const ofKind = options.filter((o) => o._tag === kind)
  return ofKind[Math.floor(c / kinds.length) % ofKind.length]
}

const tags = fc.constantFrom(
  "HostAdvance",
  "DeviceCompleteAtsInvalidation",
  "DeviceHang",
  "HostReleaseFunction",
  "DeviceDmaRead",
  "DeviceDmaWrite",
  "HostMapIova",
  "GuestWriteBme",
)
// Options of a few kinds, interleaved; `n` tells commands of one kind apart.
const options = fc.array(
  tags.chain((tag) => fc.nat({ max: 5 }).map((n) => ({ _tag: tag, n }) as unknown as Command)),
  { maxLength: 30 },
)

describe("pickCommand", () => {
  it("picks what the definition picks, with or without a swarm and the progress bias", () => {
    fc.assert(
      fc.property(
        options,
        fc.nat({ max: 0x7fffffff }),
        fc.option(fc.subarray([...COMMAND_KINDS]), { nil: undefined }),
        fc.boolean(),
        (opts, choice, kept, progress) => {
          const swarm = kept === undefined ? undefined : new Set<string>(kept)
          expect(pickCommand(opts, choice, swarm, progress)).toBe(reference(opts, choice, swarm, progress))
        },
      ),
      { numRuns: 3000, seed: 19 },
    )
  })
})
