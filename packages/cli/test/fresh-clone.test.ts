/**
 * `npx edgeline …` in a fresh clone right after `npm ci && npm start`, as the
 * README promises. npm links a bin when it installs, before anything is
 * built, and skips a bin whose file does not exist yet: the bin is a
 * committed file (bin/edgeline.mjs) that loads the built command.
 *
 * The clone is the work tree's tracked and unignored files copied to a temp
 * dir (on CI, a clean clone of main: the same files).
 */
import { execFile } from "node:child_process"
import { cp, lstat, mkdtemp, readFile, realpath, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run } from "./support/edgeline.js"

const repo = fileURLToPath(new URL("../../../", import.meta.url))
const exec = promisify(execFile)
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", npm_config_update_notifier: "false" }

/** Runs a command in the clone; never throws, so a test can assert on failures. */
const sh = (cwd: string, file: string, args: ReadonlyArray<string>) =>
  run(file, args, { cwd, env, timeoutMs: 600_000 })

let clone: string
beforeAll(async () => {
  clone = await mkdtemp(join(tmpdir(), "edgeline-clone-"))
  const { stdout } = await exec(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"],
    { cwd: repo, maxBuffer: 1 << 26 },
  )
  for (const file of stdout.split("\0").filter(Boolean)) {
    await cp(join(repo, file), join(clone, file), { recursive: true }).catch(
      (e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e // deleted in the work tree, not yet committed
      },
    )
  }
}, 120_000)

afterAll(async () => {
  if (clone) await rm(clone, { recursive: true, force: true })
})

describe("a fresh clone", () => {
  it("links the bin at npm ci, says to build first, and runs after npm start", async () => {
    const installed = await sh(clone, "npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"])
    expect(installed.code, installed.stderr).toBe(0)

    const link = join(clone, "node_modules", ".bin", "edgeline")
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await realpath(link)).toBe(
      await realpath(join(clone, "packages", "cli", "bin", "edgeline.mjs")),
    )

    const early = await sh(clone, "npx", ["edgeline", "--version"])
    expect(early.code).toBe(1)
    expect(early.stderr).toMatch(/not built yet; run `npm run build`/)

    const started = await sh(clone, "npm", ["start"])
    expect(started.code, started.stderr).toBe(0)
    expect(started.stdout).toMatch(/segments \(\d+\):/)

    const version = await sh(clone, "npx", ["edgeline", "--version"])
    const pkg = JSON.parse(await readFile(join(clone, "packages/cli/package.json"), "utf8"))
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
    const gate = await sh(clone, "npx", [
      "edgeline",
      "voice-gate",
      "packages/recipes/test/fixtures/conversation-16k-mono.wav",
      "--json",
    ])
    expect(gate.code, gate.stderr).toBe(0)
    expect(JSON.parse(gate.stdout).segments.length).toBeGreaterThanOrEqual(4)
  }, 900_000)
})
