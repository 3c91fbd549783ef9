/**
 * Start-up: `--version` and `--help` answer without loading onnxruntime or a
 * pipeline, and a bad `--out` is refused before any audio is read.
 */
import { spawn } from "node:child_process"
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { bin, edgeline, edgelineLoading, sample } from "./support/edgeline.js"

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"))

/** Modules --help must not load: any command chunk, onnxruntime, effect, an Edgeline package
 * (installed under @edgeline/, or in this workspace under packages/). */
const heavy = (loaded: ReadonlyArray<string>) =>
  loaded.filter((url) =>
    /onnxruntime|\/dist\/command\/(?!edgeline\.mjs)|@edgeline\/|\/packages\/(?!cli\/)|\/effect\//.test(
      url,
    ),
  )

const distillLoaded = (loaded: ReadonlyArray<string>) =>
  loaded.some((url) => /@edgeline\/distill\/|\/packages\/distill\//.test(url))

describe("edgeline start-up", () => {
  it("--version and -v print the package version", async () => {
    for (const flag of ["--version", "-v"]) {
      const { code, stdout, stderr } = await edgeline([flag])
      expect(code).toBe(0)
      expect(stdout).toBe(`${pkg.version}\n`)
      expect(stderr).toBe("")
    }
  })

  it("--help prints the usage without loading onnxruntime, effect or any command", async () => {
    const help = await edgelineLoading(["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^usage: edgeline voice-gate/)
    expect(help.stdout).toMatch(/--version/)
    expect(help.loaded.some((url) => url.endsWith("/dist/command/edgeline.mjs"))).toBe(true)
    expect(heavy(help.loaded)).toEqual([])
    // The same log does see them when a command runs: the check above can fail.
    const run = await edgelineLoading(["voice-gate", sample, "--json"])
    expect(run.code).toBe(0)
    expect(run.loaded.some((url) => /onnxruntime-node/.test(url))).toBe(true)
    expect(run.loaded.some((url) => /\/dist\/command\/(?!edgeline\.mjs)/.test(url))).toBe(true)
    expect(distillLoaded(run.loaded)).toBe(false)
    // No progress bar off a terminal, so cli-progress stays unloaded.
    expect(run.loaded.some((url) => /\/cli-progress\//.test(url))).toBe(false)
  })

  it("--help leaves @edgeline/distill unloaded; a distill command loads it", async () => {
    const help = await edgelineLoading(["distill", "eval", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("distill eval")
    expect(heavy(help.loaded)).toEqual([])
    const missing = join(tmpdir(), "edgeline-no-such-file.jsonl")
    const run = await edgelineLoading(["distill", "eval", "--data", missing])
    expect(run.code).toBe(2)
    expect(run.stderr.trim()).toBe(`edgeline: ${missing}: no such file (--data)`)
    expect(distillLoaded(run.loaded)).toBe(true)
  })

  it("a bad --out fails at once, before any audio is read", async () => {
    // stdin stays open and empty: a run that checked --out only after the
    // audio would wait forever; the check before it answers at once.
    const out = join(tmpdir(), "edgeline-no-such-dir", "deeper", "speech.wav")
    const child = spawn(process.execPath, [bin, "voice-gate", "-", "--out", out], {
      stdio: ["pipe", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const code = await new Promise<number | null>((done) => child.on("close", done))
    child.stdin.destroy()
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr.trim().split("\n")).toEqual([
      `edgeline: cannot write ${out}: its directory does not exist`,
    ])
  })
})
