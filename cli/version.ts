/**
 * iovcheck's own version, read from its package.json (the counterexample files and the `--json`
 * documents carry it).
 *
 * @module
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { packageRoot } from "../scenarios/catalogue.ts"

/** The `version` of iovcheck's package.json. */
export const version: string = (
  JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }
).version
