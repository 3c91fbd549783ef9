/**
 * `npm ci && npm start` in a fresh clone, as the README promises: npm links
 * the `edgeline` bin before anything is built (and it says to build first);
 * `npm start` builds, starts the playground, the dev registry (publishing
 * the embedded models) and the cloud tier, and prints one URL; Ctrl-C stops
 * all three and a second `npm start` finds the ports free; the CLI voice
 * gate is then one command away.
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
import { freePorts, interrupt, isFree, run, startUntil } from "./support/processes.js"

const repo = fileURLToPath(new URL("../../../", import.meta.url))
const exec = promisify(execFile)
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", npm_config_update_notifier: "false" }
const URL_LINE = /^Edgeline playground: (http:\/\/127\.0\.0\.1:\d+\/)$/

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

const sh = (file: string, args: ReadonlyArray<string>) =>
  run(file, args, { cwd: clone, env, timeoutMs: 600_000 })

/** `npm start` on the given ports, up to its URL line. */
const npmStart = (ports: ReadonlyArray<number>, data: string) =>
  startUntil(
    "npm",
    [
      "start",
      "--",
      ...["--port", `${ports[0]}`, "--cloud-port", `${ports[1]}`],
      ...["--registry-port", `${ports[2]}`, "--data", data],
    ],
    URL_LINE,
    { cwd: clone, env, timeoutMs: 600_000 },
  )

describe("a fresh clone", () => {
  it("links the bin at npm ci, and says to build first", async () => {
    const installed = await sh("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"])
    expect(installed.code, installed.stderr).toBe(0)
    const link = join(clone, "node_modules", ".bin", "edgeline")
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await realpath(link)).toBe(
      await realpath(join(clone, "packages", "cli", "bin", "edgeline.mjs")),
    )
    const early = await sh("npx", ["edgeline", "--version"])
    expect(early.code).toBe(1)
    expect(early.stderr).toMatch(/not built yet; run `npm run build`/)
  }, 600_000)

  it("npm start builds and serves the playground, the registry and the cloud; Ctrl-C stops all; a second start finds the ports free", async () => {
    const ports = await freePorts(3)
    const data = join(clone, ".playground-data")
    for (const round of [1, 2]) {
      const started = await npmStart(ports, data)
      const url = URL_LINE.exec(started.line)![1]!
      expect(url).toBe(`http://127.0.0.1:${ports[0]}/`)
      const page = await fetch(url)
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<title>Edgeline playground<\/title>/)
      // The embedded models are published on the first start, and kept.
      const manifest = (await (await fetch(`${url}registry/channels/stable.json`)).json()) as {
        manifest: { models: Array<{ name: string }> }
      }
      expect(manifest.manifest.models.map((m) => m.name).sort()).toEqual([
        "message-triage",
        "silero-vad",
      ])
      const models = await fetch(`http://127.0.0.1:${ports[1]}/v1/models`)
      expect(models.status, `round ${round}: the cloud tier`).toBe(200)
      // One URL printed (what else npm and turbo print carries none).
      const urls = started.stdout().match(/https?:\/\/\S+/g) ?? []
      expect(urls, started.stdout()).toEqual([url])

      interrupt(started.child)
      await started.exited
      for (const port of ports) expect(await isFree(port), `port ${port}`).toBe(true)
    }
  }, 900_000)

  it("keeps the CLI voice gate one command away", async () => {
    const pkg = JSON.parse(await readFile(join(clone, "packages/cli/package.json"), "utf8"))
    const version = await sh("npx", ["edgeline", "--version"])
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
    // The command as the README gives it, run as it stands.
    const readme = await readFile(join(clone, "README.md"), "utf8")
    const command = /^npx edgeline voice-gate \S+\.wav$/m.exec(readme)?.[0]
    expect(command, "the README gives the voice gate as one command").toBeDefined()
    const [, , ...args] = command!.split(" ")
    const gate = await sh("npx", ["edgeline", ...args, "--json"])
    expect(gate.code, gate.stderr).toBe(0)
    expect(JSON.parse(gate.stdout).segments.length).toBeGreaterThanOrEqual(4)
  }, 120_000)
})
