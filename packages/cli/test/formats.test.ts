/**
 * Unusual WAV files through the command: decoded right (the same speech as
 * the 16-bit reference) or refused with exit 2 and one line naming what is
 * supported. Never a wrong answer with exit 0. The files are made by sox and
 * libsndfile from the reference, so they are what those tools write.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { beforeAll, describe, expect, it } from "vitest"
import { edgeline, sample } from "./support/edgeline.js"

const run = promisify(execFile)
let dir: string
let reference: { segments: Array<{ start: number; end: number }>; durationSec: number }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-formats-"))
  reference = JSON.parse((await edgeline(["voice-gate", sample, "--json"])).stdout)
})

const made = async (name: string, tool: "sox" | "sndfile-convert", args: Array<string>) => {
  const out = join(dir, name)
  await run(tool, tool === "sox" ? [sample, ...args, out] : [...args, sample, out])
  return out
}

/** The fixture with its header's sample rate (and byte rate) replaced. */
const withRate = async (rate: number) => {
  const bytes = new Uint8Array(await readFile(sample))
  const view = new DataView(bytes.buffer)
  view.setUint32(24, rate, true)
  view.setUint32(28, rate * 2, true)
  const out = join(dir, `rate-${rate}.wav`)
  await writeFile(out, bytes)
  return out
}

describe("decoded right: the reference's speech, exit 0", () => {
  const cases: Array<[string, () => Promise<string>, string]> = [
    ["big-endian RIFX", () => made("rifx.wav", "sox", ["-B"]), "RIFX"],
    [
      "WAVE_FORMAT_EXTENSIBLE with a float subtype",
      () => made("float.wavex", "sndfile-convert", ["-float32"]),
      "RIFF",
    ],
    [
      "WAVE_FORMAT_EXTENSIBLE with an A-law subtype",
      () => made("alaw.wavex", "sndfile-convert", ["-alaw"]),
      "RIFF",
    ],
    ["µ-law", () => made("mulaw.wav", "sox", ["-e", "u-law"]), "RIFF"],
    ["384 kHz", () => made("384k.wav", "sox", ["-r", "384000"]), "RIFF"],
    ["RF64", () => made("rf64.rf64", "sndfile-convert", ["-pcm16"]), "RF64"],
  ]
  for (const [name, make, container] of cases) {
    it(name, async () => {
      const path = await make()
      const head = new TextDecoder().decode((await readFile(path)).subarray(0, 4))
      expect(head).toBe(container)
      const { code, stdout, stderr } = await edgeline(["voice-gate", path, "--json"])
      expect(stderr).toBe("")
      expect(code).toBe(0)
      const report = JSON.parse(stdout)
      expect(report.durationSec).toBeCloseTo(reference.durationSec, 2)
      // Lossy encodings may split a segment at a dip; the speech found is the reference's.
      const speech = (r: typeof reference) => r.segments.reduce((n, s) => n + s.end - s.start, 0)
      expect(Math.abs(speech(report) - speech(reference))).toBeLessThan(0.25)
      expect(report.segments.length).toBeGreaterThanOrEqual(reference.segments.length)
      expect(report.segments.length).toBeLessThanOrEqual(reference.segments.length + 1)
    })
  }
})

describe("refused: exit 2, one line naming the supported range", () => {
  for (const rate of [1, 64, 3999, 500_000]) {
    it(`a header claiming ${rate} Hz`, async () => {
      const { code, stdout, stderr } = await edgeline(["voice-gate", await withRate(rate)])
      expect(code).toBe(2)
      expect(stdout).toBe("")
      expect(stderr.trim().split("\n")).toHaveLength(1)
      expect(stderr).toMatch(/4[ ,]?000/)
      expect(stderr).toMatch(/384[ ,]?000/)
    })
  }
})
