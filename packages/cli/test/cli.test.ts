import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import wavefile from "wavefile"
import { edgeline as run, sample } from "./support/edgeline.js"

const edgeline = (...args: Array<string>) => run(args)

const wav = (bitDepth: string, samples: ArrayLike<number>): Uint8Array => {
  const file = new wavefile.WaveFile()
  file.fromScratch(1, 16000, bitDepth, samples)
  return file.toBuffer()
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-cli-"))
})

describe("edgeline voice-gate", () => {
  it("prints segments, speech ratio, bytes and per-stage timing", async () => {
    const { code, stdout } = await edgeline("voice-gate", sample)
    expect(code).toBe(0)
    expect(stdout).toMatch(/segments \(\d+\):/)
    expect(stdout).toMatch(/speech ratio: \d+\.\d %/)
    expect(stdout).toMatch(/bytes: 384,000 in/)
    expect(stdout).toMatch(/model load: \d+\.\d ms/)
    for (const stage of [
      "wav-decode",
      "resample-16k",
      "silero-vad",
      "speech-segments",
      "speech-pcm16",
    ]) {
      expect(stdout).toContain(stage)
    }
  })

  it("--json gives a parseable report whose bytes and ratio agree", async () => {
    const { code, stdout } = await edgeline("voice-gate", sample, "--json")
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.segments.length).toBeGreaterThanOrEqual(4)
    expect(report.bytesIn).toBe(384_000)
    expect(report.speechRatio).toBeCloseTo(report.bytesOut / report.bytesIn, 10)
    expect(report.speechRatio).toBeGreaterThan(0.4)
    expect(report.speechRatio).toBeLessThan(0.95)
    expect(report.timings.map((t: { stage: string }) => t.stage)).toContain("silero-vad")
    expect(report.modelLoadMs).toBeGreaterThan(0)
  })

  it("a file is scored in stretches by default; --sequential scores it as stdin is, frame by frame", async () => {
    // 48 s: four copies of the 12 s fixture (16 kHz PCM16), long enough to split into stretches.
    const bytes = new Uint8Array(await readFile(sample))
    const once = new Int16Array(bytes.slice(bytes.length - 384_000).buffer)
    const pcm = new Int16Array(once.length * 4)
    for (let k = 0; k < 4; k++) pcm.set(once, k * once.length)
    const longWav = wav("16", pcm)
    const file = join(dir, "long.wav")
    await writeFile(file, longWav)
    const [batched, sequential, piped] = await Promise.all([
      edgeline("voice-gate", file, "--json"),
      edgeline("voice-gate", file, "--json", "--sequential"),
      run(["voice-gate", "-", "--json"], { stdin: longWav }),
    ])
    const [b, s, p] = [batched, sequential, piped].map((r) => JSON.parse(r.stdout))
    // Sequential scoring does not depend on how the input was cut: the same segments exactly.
    expect(s.segments).toEqual(p.segments)
    expect(b.bytesIn).toBe(s.bytesIn)
    expect(Math.abs(b.segments.length - s.segments.length)).toBeLessThanOrEqual(2)
    expect(Math.abs(b.speechRatio - s.speechRatio)).toBeLessThan(0.02)
  })

  it("--threshold changes what is kept", async () => {
    const low = JSON.parse(
      (await edgeline("voice-gate", sample, "--json", "--threshold", "0.05")).stdout,
    )
    const high = JSON.parse(
      (await edgeline("voice-gate", sample, "--json", "--threshold", "0.95")).stdout,
    )
    expect(low.bytesOut).toBeGreaterThan(high.bytesOut)
  })

  it("--out writes the kept speech as a 16 kHz PCM16 WAV", async () => {
    const out = join(dir, "speech.wav")
    const { code, stdout } = await edgeline("voice-gate", sample, "--json", "--out", out)
    expect(code).toBe(0)
    const written = new wavefile.WaveFile(await readFile(out))
    expect((written.fmt as { sampleRate: number }).sampleRate).toBe(16000)
    expect(written.bitDepth).toBe("16")
    expect((written.data as { chunkSize: number }).chunkSize).toBe(JSON.parse(stdout).bytesOut)
  })

  it("--progress draws a progress bar on stderr", async () => {
    const { code, stderr } = await edgeline("voice-gate", sample, "--progress")
    expect(code).toBe(0)
    expect(stderr).toMatch(/100% \| 0\.4\/0\.4 MB/)
  })
})

describe("bad input: one line, exit code 2, no stack trace", () => {
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ["a missing file", async () => join(dir, "missing.wav"), /no such file/],
    [
      "a file that is not WAV",
      async () => {
        const path = join(dir, "notes.wav")
        await writeFile(path, "these are my notes, not audio")
        return path
      },
      /not a WAV file/,
    ],
    [
      "a truncated WAV",
      async () => {
        const path = join(dir, "truncated.wav")
        await writeFile(path, (await readFile(sample)).subarray(0, 20_000))
        return path
      },
      /truncated/,
    ],
    [
      "NaN samples",
      async () => {
        const path = join(dir, "nan.wav")
        const samples = Float32Array.from({ length: 16000 }, (_, i) =>
          i === 700 ? Number.NaN : 0.1,
        )
        await writeFile(path, wav("32f", samples))
        return path
      },
      /NaN/,
    ],
    [
      "zero-length audio",
      async () => {
        const path = join(dir, "empty.wav")
        await writeFile(path, wav("16", []))
        return path
      },
      /no audio/,
    ],
  ]

  for (const [name, make, message] of cases) {
    it(name, async () => {
      const { code, stderr, stdout } = await edgeline("voice-gate", await make())
      expect(code).toBe(2)
      expect(stdout).toBe("")
      expect(stderr.trim().split("\n")).toHaveLength(1)
      expect(stderr).toMatch(message)
      expect(stderr).not.toMatch(/\n\s+at /)
    })
  }

  it("a bad flag value is a usage error", async () => {
    const { code, stderr } = await edgeline("voice-gate", sample, "--threshold", "high")
    expect(code).toBe(2)
    expect(stderr).toMatch(/--threshold must be a number/)
  })

  it("an unknown command is a usage error", async () => {
    const { code, stderr } = await edgeline("transcribe", sample)
    expect(code).toBe(2)
    expect(stderr).toMatch(/unknown command "transcribe"/)
  })
})
