/**
 * Real tools' WAV files: the 16-bit 16 kHz fixture re-encoded by sox and
 * libsndfile (RIFX, RF64, EXTENSIBLE, 8 to 64-bit, float, A-law, µ-law, 1 to
 * 3 channels, a pipe's length placeholder, 4 to 384 kHz). Each file is first
 * checked to be what it is meant to be (container, format tag, channels),
 * then decoded and compared with the fixture: lossless ones sample for
 * sample, lossy ones within their quantisation error, other rates after
 * resampling back to 16 kHz. Every one must gate to the fixture's segments.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Pipeline } from "@edgeline/core"
import { type Audio, FrameScore, Resample, type VoiceGate, WavDecode } from "@edgeline/recipes"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FIXTURES_DIR } from "./support/fixtures.js"
import { boundaryDistance, FRAME_SEC, maxAbsDiff, show } from "./support/frames.js"
import { type FileRunner, fileRunner } from "./support/gate.js"
import { headerOf } from "./support/riff.js"

const REFERENCE = join(FIXTURES_DIR, "conversation-16k-mono.wav")

/** How a decoded file must compare with the reference. */
type Compare =
  /** The same samples (16-bit values survive every lossless encoding exactly). */
  | { readonly kind: "exact" }
  /** The same samples scaled to a peak of 1, within float rounding. */
  | { readonly kind: "normalized" }
  /** Within `step` of each reference sample (8-bit PCM). */
  | { readonly kind: "step"; readonly step: number }
  /** G.711: within 1/16 of the sample's magnitude plus 2^-10 (its segments are 16 steps of 1/16 to 1/32). */
  | { readonly kind: "companded" }
  /** Another rate: resampled back to 16 kHz, this close to the reference (RMS error / RMS signal). */
  | { readonly kind: "resampled"; readonly relativeError: number }

interface Case {
  readonly name: string
  /** The command that writes `out` (a file name in the temp dir) from `in`. */
  readonly tool: "sox" | "sndfile-convert" | "sox-pipe"
  readonly args: ReadonlyArray<string>
  readonly out: string
  readonly expect: {
    readonly container: "RIFF" | "RIFX" | "RF64"
    readonly formatTag: number
    readonly subformat?: number
    readonly channels: number
    readonly sampleRate: number
    readonly bitsPerSample: number
    readonly dataSizeField?: number
  }
  readonly compare: Compare
  /**
   * Lossless files must gate to the reference's segments within one frame. Silero hears
   * quantisation noise, a level change or a lost band: for those, the frame-level F1
   * against the reference's segments (1 = the same frames are speech) must reach this.
   */
  readonly minF1?: number
}

const EXTENSIBLE = 0xfffe
const PCM = 1
const FLOAT = 3
const ALAW = 6
const MULAW = 7
const exact: Compare = { kind: "exact" }
// sndfile-convert scales float output to a peak of 1 (the reference peaks at 16385 / 32768).
const normalized: Compare = { kind: "normalized" }
const mono16k = { channels: 1, sampleRate: 16_000 }

// sox dithers when it reduces precision; -D turns that off, so the error is the quantiser's alone.
const cases: ReadonlyArray<Case> = [
  {
    name: "sox -B: RIFX, big-endian 16-bit",
    tool: "sox",
    args: ["-B"],
    out: "rifx-16.wav",
    expect: { container: "RIFX", formatTag: PCM, ...mono16k, bitsPerSample: 16 },
    compare: exact,
  },
  {
    name: "sox -B -b 24: RIFX, big-endian 24-bit in an EXTENSIBLE header",
    tool: "sox",
    args: ["-B", "-b", "24"],
    out: "rifx-24.wav",
    expect: {
      container: "RIFX",
      formatTag: EXTENSIBLE,
      subformat: PCM,
      ...mono16k,
      bitsPerSample: 24,
    },
    compare: exact,
  },
  {
    name: "sox -e floating-point -b 32",
    tool: "sox",
    args: ["-e", "floating-point", "-b", "32"],
    out: "float-32.wav",
    expect: { container: "RIFF", formatTag: FLOAT, ...mono16k, bitsPerSample: 32 },
    compare: exact,
  },
  {
    name: "sox -e floating-point -b 64",
    tool: "sox",
    args: ["-e", "floating-point", "-b", "64"],
    out: "float-64.wav",
    expect: { container: "RIFF", formatTag: FLOAT, ...mono16k, bitsPerSample: 64 },
    compare: exact,
  },
  {
    name: "sox -b 24: EXTENSIBLE PCM",
    tool: "sox",
    args: ["-b", "24"],
    out: "pcm-24.wav",
    expect: {
      container: "RIFF",
      formatTag: EXTENSIBLE,
      subformat: PCM,
      ...mono16k,
      bitsPerSample: 24,
    },
    compare: exact,
  },
  {
    name: "sox -b 32: EXTENSIBLE PCM",
    tool: "sox",
    args: ["-b", "32"],
    out: "pcm-32.wav",
    expect: {
      container: "RIFF",
      formatTag: EXTENSIBLE,
      subformat: PCM,
      ...mono16k,
      bitsPerSample: 32,
    },
    compare: exact,
  },
  {
    name: "sox -b 8: unsigned 8-bit",
    tool: "sox",
    args: ["-D", "-b", "8"],
    out: "pcm-8.wav",
    expect: { container: "RIFF", formatTag: PCM, ...mono16k, bitsPerSample: 8 },
    compare: { kind: "step", step: 1 / 256 + 1e-7 },
    minF1: 0.99,
  },
  {
    name: "sox -e a-law",
    tool: "sox",
    args: ["-D", "-e", "a-law"],
    out: "alaw.wav",
    expect: { container: "RIFF", formatTag: ALAW, ...mono16k, bitsPerSample: 8 },
    compare: { kind: "companded" },
    minF1: 0.99,
  },
  {
    name: "sox -e u-law",
    tool: "sox",
    args: ["-D", "-e", "u-law"],
    out: "mulaw.wav",
    expect: { container: "RIFF", formatTag: MULAW, ...mono16k, bitsPerSample: 8 },
    compare: { kind: "companded" },
    minF1: 0.99,
  },
  {
    name: "sox -c 2: stereo",
    tool: "sox",
    args: ["-c", "2"],
    out: "stereo.wav",
    expect: {
      container: "RIFF",
      formatTag: PCM,
      channels: 2,
      sampleRate: 16_000,
      bitsPerSample: 16,
    },
    compare: exact,
  },
  {
    name: "sox -c 3: three channels, EXTENSIBLE",
    tool: "sox",
    args: ["-c", "3"],
    out: "three.wav",
    expect: {
      container: "RIFF",
      formatTag: EXTENSIBLE,
      subformat: PCM,
      channels: 3,
      sampleRate: 16_000,
      bitsPerSample: 16,
    },
    compare: exact,
  },
  {
    name: "sox -B -c 3: RIFX with an EXTENSIBLE header",
    tool: "sox",
    args: ["-B", "-c", "3"],
    out: "rifx-three.wav",
    expect: {
      container: "RIFX",
      formatTag: EXTENSIBLE,
      subformat: PCM,
      channels: 3,
      sampleRate: 16_000,
      bitsPerSample: 16,
    },
    compare: exact,
  },
  {
    name: "sox -e floating-point -c 3: three float channels",
    tool: "sox",
    args: ["-e", "floating-point", "-b", "32", "-c", "3"],
    out: "float-three.wav",
    expect: {
      container: "RIFF",
      formatTag: FLOAT,
      channels: 3,
      sampleRate: 16_000,
      bitsPerSample: 32,
    },
    compare: exact,
  },
  {
    name: "sndfile-convert -float32 to .wavex: EXTENSIBLE float",
    tool: "sndfile-convert",
    args: ["-float32"],
    out: "float-32.wavex",
    expect: {
      container: "RIFF",
      formatTag: EXTENSIBLE,
      subformat: FLOAT,
      ...mono16k,
      bitsPerSample: 32,
    },
    compare: normalized,
    minF1: 0.99,
  },
  {
    name: "sox writing to a pipe: length placeholder 0x7FFFF000",
    tool: "sox-pipe",
    args: [],
    out: "pipe.wav",
    expect: {
      container: "RIFF",
      formatTag: PCM,
      ...mono16k,
      bitsPerSample: 16,
      dataSizeField: 0x7ffff000,
    },
    compare: exact,
  },
  {
    name: "sndfile-convert to .rf64: RF64, 16-bit EXTENSIBLE",
    tool: "sndfile-convert",
    args: [],
    out: "pcm-16.rf64",
    expect: {
      container: "RF64",
      formatTag: EXTENSIBLE,
      subformat: PCM,
      ...mono16k,
      bitsPerSample: 16,
      dataSizeField: 0xffffffff,
    },
    compare: exact,
  },
  {
    name: "sndfile-convert -float32 to .rf64: RF64, EXTENSIBLE float",
    tool: "sndfile-convert",
    args: ["-float32"],
    out: "float-32.rf64",
    expect: {
      container: "RF64",
      formatTag: EXTENSIBLE,
      subformat: FLOAT,
      ...mono16k,
      bitsPerSample: 32,
    },
    compare: normalized,
    minF1: 0.99,
  },
  {
    name: "sndfile-convert -alaw to .rf64: RF64, EXTENSIBLE A-law",
    tool: "sndfile-convert",
    args: ["-alaw"],
    out: "alaw.rf64",
    expect: {
      container: "RF64",
      formatTag: EXTENSIBLE,
      subformat: ALAW,
      ...mono16k,
      bitsPerSample: 8,
    },
    compare: { kind: "companded" },
    minF1: 0.99,
  },
  {
    name: "sndfile-convert -ulaw to .wavex: EXTENSIBLE µ-law",
    tool: "sndfile-convert",
    args: ["-ulaw"],
    out: "mulaw.wavex",
    expect: {
      container: "RIFF",
      formatTag: EXTENSIBLE,
      subformat: MULAW,
      ...mono16k,
      bitsPerSample: 8,
    },
    compare: { kind: "companded" },
    minF1: 0.99,
  },
  {
    name: "sndfile-convert -endian=big: RIFX 16-bit",
    tool: "sndfile-convert",
    args: ["-endian=big"],
    out: "big-16.wav",
    expect: { container: "RIFX", formatTag: PCM, ...mono16k, bitsPerSample: 16 },
    compare: exact,
  },
  {
    name: "sndfile-convert -endian=big -pcm24: RIFX 24-bit",
    tool: "sndfile-convert",
    args: ["-endian=big", "-pcm24"],
    out: "big-24.wav",
    expect: { container: "RIFX", formatTag: PCM, ...mono16k, bitsPerSample: 24 },
    compare: exact,
  },
  ...[8000, 44_100, 48_000, 384_000, 4000].map(
    (rate): Case => ({
      name: `sox -r ${rate}`,
      tool: "sox",
      args: ["-D", "-r", String(rate)],
      out: `rate-${rate}.wav`,
      expect: {
        container: "RIFF",
        formatTag: PCM,
        channels: 1,
        sampleRate: rate,
        bitsPerSample: 16,
      },
      // The gate's fastest libsamplerate converter passes about 80 % of the band (0-6.4 kHz of
      // 0-8 kHz at 16 kHz): ~4.5 % of this speech's RMS lies above. At 8 and 4 kHz, all above 4
      // and 2 kHz is gone.
      compare: {
        kind: "resampled",
        relativeError: rate >= 16_000 ? 0.05 : rate === 8000 ? 0.25 : 0.45,
      },
      // Below 16 kHz Silero hears the narrower band: boundaries move by up to 4 frames.
      ...(rate < 16_000 ? { minF1: 0.97 } : {}),
    }),
  ),
]

let dir: string
let runner: FileRunner
let reference: Float32Array
let referenceGated: VoiceGate.Gated
/** Each other rate's audio resampled back to 16 kHz by the gate's resampler. */
const resampledBack = new Map<number, Float32Array>()

const decode = (bytes: Uint8Array): Promise<Audio.AudioChunk> =>
  Effect.runPromise(WavDecode.decode(bytes))

const resampler = Pipeline.make("corpus-resample", Resample.stage)

const make = (c: Case): Uint8Array => {
  const out = join(dir, c.out)
  if (c.tool === "sox") execFileSync("sox", [REFERENCE, ...c.args, out])
  else if (c.tool === "sndfile-convert")
    execFileSync("sndfile-convert", [...c.args, REFERENCE, out])
  else {
    // Raw samples in, WAV out through a pipe: sox cannot know the length, nor seek back.
    const raw = execFileSync("sox", [REFERENCE, "-t", "s16", "-"])
    const wav = execFileSync(
      "sox",
      ["-t", "s16", "-r", "16000", "-c", "1", "-", "-t", "wav", "-"],
      {
        input: raw,
        stdio: ["pipe", "pipe", "ignore"],
      },
    )
    return new Uint8Array(wav)
  }
  return new Uint8Array(readFileSync(out))
}

beforeAll(async () => {
  for (const tool of ["sox", "sndfile-convert"]) {
    try {
      execFileSync("which", [tool])
    } catch {
      throw new Error(
        `${tool} is missing: apt-get install sox sndfile-programs (see DEVELOPERS.md)`,
      )
    }
  }
  dir = mkdtempSync(join(tmpdir(), "edgeline-wav-corpus-"))
  runner = await fileRunner()
  const bytes = new Uint8Array(readFileSync(REFERENCE))
  reference = (await decode(bytes)).samples
  referenceGated = await runner.run(bytes)
})
afterAll(async () => {
  await runner?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const rmsOf = (samples: Float32Array): number =>
  Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length)

describe("WAV files written by sox and libsndfile", () => {
  it("the reference is 12 s of 16-bit 16 kHz mono speech with segments", () => {
    expect(reference.length).toBe(192_000)
    expect(referenceGated.segments.length).toBeGreaterThanOrEqual(3)
  })

  it.for(cases)("$name", { timeout: 30_000 }, async (c) => {
    const bytes = make(c)

    // The file is what this case is about, not whatever the tool chose to write.
    const header = headerOf(bytes)
    expect(header).toMatchObject(c.expect)
    expect(header.chunks.at(-1)).toBe("data")

    const audio = await decode(bytes)
    expect(audio.sampleRate).toBe(c.expect.sampleRate)
    expect(audio.samples.length).toBe((192_000 * c.expect.sampleRate) / 16_000)

    const compare = c.compare
    if (compare.kind === "exact") {
      expect(maxAbsDiff(audio.samples, reference)).toBe(0)
    } else if (compare.kind === "normalized") {
      const peak = reference.reduce((max, x) => Math.max(max, Math.abs(x)), 0)
      expect(peak).toBe(16385 / 32768)
      expect(
        maxAbsDiff(
          audio.samples,
          reference.map((x) => x / peak),
        ),
      ).toBeLessThanOrEqual(2 ** -24)
    } else if (compare.kind === "step") {
      expect(maxAbsDiff(audio.samples, reference)).toBeLessThanOrEqual(compare.step)
    } else if (compare.kind === "companded") {
      const worst = reference.findIndex(
        (x, i) => Math.abs(audio.samples[i]! - x) > Math.abs(x) / 16 + 2 ** -10,
      )
      expect(worst, `sample ${worst}`).toBe(-1)
      // ... and not just within the bound: the error is small next to the signal (SNR > 25 dB).
      const error = audio.samples.map((x, i) => x - reference[i]!)
      expect(rmsOf(error) / rmsOf(reference)).toBeLessThan(0.056)
    } else {
      const back = await Effect.runPromise(Pipeline.run(resampler, audio))
      resampledBack.set(audio.sampleRate, back)
      expect(back.length).toBe(reference.length)
      const error = back.map((x, i) => x - reference[i]!)
      const relative = rmsOf(error) / rmsOf(reference)
      expect(relative).toBeLessThan(compare.relativeError)
    }

    const gated = await runner.run(bytes)
    const compared = `${show(gated.segments)} vs reference ${show(referenceGated.segments)}`
    if (c.minF1 === undefined) {
      expect(
        boundaryDistance(gated.segments, referenceGated.segments),
        compared,
      ).toBeLessThanOrEqual(FRAME_SEC + 1e-9)
    } else {
      const frames = referenceGated.probabilities.length
      const { f1 } = FrameScore.score(gated.segments, referenceGated.segments, frames)
      expect(f1, compared).toBeGreaterThanOrEqual(c.minF1)
    }
  })

  it("384 kHz, resampled by a converter made for 192 -> 8 kHz, is as accurate as 48 kHz", () => {
    const at48k = resampledBack.get(48_000)!
    const at384k = resampledBack.get(384_000)!
    const error = at384k.map((x, i) => x - at48k[i]!)
    // Measured: 0.01 % of the signal's RMS.
    expect(rmsOf(error) / rmsOf(at48k)).toBeLessThan(0.001)
  })
})
