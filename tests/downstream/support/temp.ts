/** Scratch directories outside the workspace, under the OS temp dir, removed afterwards. */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const makeTempDir = (prefix: string): Promise<string> =>
  mkdtemp(join(tmpdir(), `edgeline-downstream-${prefix}-`))

export const removeTempDir = (dir: string | undefined): Promise<void> =>
  dir === undefined ? Promise.resolve() : rm(dir, { recursive: true, force: true })
