/**
 * Where the results go: a failed write exits non-zero with one line, and
 * `--out` is written whole or not at all.
 */
import { spawn } from "node:child_process"
import { mkdtemp, open, readdir, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import wavefile from "wavefile"
import { bin, edgeline, sample } from "./support/edgeline.js"

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-output-"))
})

describe("output failures: non-zero exit, one line", () => {
  it("stdout on a full disk (> /dev/full)", async () => {
    const full = await open("/dev/full", "w")
    try {
      for (const flags of [[], ["--json"], ["--jsonl"]]) {
        const { code, stderr } = await edgeline(["voice-gate", sample, ...flags], {
          stdout: full.fd,
        })
        expect(code).toBe(1)
        expect(stderr.trim().split("\n")).toEqual([
          "edgeline: cannot write to stdout: no space left on the device",
        ])
      }
    } finally {
      await full.close()
    }
  })

  it("stdout to a pipe whose reader has gone", async () => {
    const child = spawn(process.execPath, [bin, "voice-gate", sample, "--jsonl"], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    child.stdout.destroy() // the reader closes before the first line
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const code = await new Promise<number | null>((done) => child.on("close", done))
    expect(code).toBe(1)
    expect(stderr.trim().split("\n")).toEqual([
      "edgeline: cannot write to stdout: the reader closed the pipe",
    ])
  })

  it("--out under a path that is a file", async () => {
    const file = join(dir, "plain-file")
    await writeFile(file, "not a directory")
    const { code, stdout, stderr } = await edgeline([
      "voice-gate",
      sample,
      "--out",
      join(file, "speech.wav"),
    ])
    expect(code).toBe(1)
    expect(stdout).toBe("")
    expect(stderr.trim().split("\n")).toHaveLength(1)
    expect(stderr).toMatch(/cannot write .*speech\.wav/)
  })

  it("--out naming a directory", async () => {
    const { code, stderr } = await edgeline(["voice-gate", sample, "--out", dir])
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`edgeline: cannot write ${dir}: it is a directory`)
  })
})

describe("--out is written whole or not at all", () => {
  it("a run that fails on bad input leaves no file and keeps an existing one", async () => {
    const out = join(dir, "kept.wav")
    await writeFile(out, "an earlier result")
    const truncated = join(dir, "truncated.wav")
    await writeFile(truncated, (await readFile(sample)).subarray(0, 100_000))
    const { code } = await edgeline(["voice-gate", truncated, "--out", out])
    expect(code).toBe(2)
    expect(await readFile(out, "utf8")).toBe("an earlier result")
    expect((await readdir(dir)).filter((name) => name.includes("partial"))).toEqual([])
  })

  it("a good run writes a 16 kHz PCM16 WAV holding exactly the kept bytes", async () => {
    const out = join(dir, "speech.wav")
    const { code, stdout } = await edgeline(["voice-gate", sample, "--json", "--out", out])
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    const written = new wavefile.WaveFile(await readFile(out))
    expect((written.fmt as { sampleRate: number }).sampleRate).toBe(16000)
    expect(written.bitDepth).toBe("16")
    expect((written.data as { chunkSize: number }).chunkSize).toBe(report.bytesOut)
    expect(report.bytesOut).toBeGreaterThan(0)
  })
})
