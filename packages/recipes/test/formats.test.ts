/**
 * WAV formats: the same speech written as 8/16/24/32-bit PCM and 32-bit
 * float, mono and stereo, at 8 to 48 kHz, decodes to the same audio and
 * gates to the same segments as the 16-bit mono file, and still matches the
 * truth.
 */
import { FrameScore, type VoiceGate, WavDecode } from "@edgeline/recipes"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadFixture } from "./support/fixtures.js"
import { boundaryDistance, FRAME_SEC, show } from "./support/frames.js"
import { type FileRunner, fileRunner } from "./support/gate.js"
import { mulberry32 } from "./support/prng.js"
import { type BitDepth, makeWav, resampleBest, step } from "./support/wav.js"

// The shortest fixture (5 s, two utterances) keeps the file to a few seconds.
const fixture = loadFixture("slow-24k-float")
const RATES = [8000, 11025, 16000, 22050, 44100, 48000] as const
const DEPTHS: ReadonlyArray<BitDepth> = ["8", "16", "24", "32", "32f"]
const MIN_F1 = 0.85
const TWO_FRAMES = 2 * FRAME_SEC + 1e-9

let runner: FileRunner
/** The fixture's speech at each rate, mono float. */
const sources = new Map<number, Float32Array>()
/** The gate's result on the 16-bit mono WAV at each rate: the reference for the other formats. */
const references = new Map<number, VoiceGate.Gated>()

beforeAll(async () => {
  runner = await fileRunner()
  const audio = await Effect.runPromise(WavDecode.decode(fixture.bytes))
  for (const rate of RATES) {
    const source = await resampleBest(audio.samples, audio.sampleRate, rate)
    sources.set(rate, source)
    references.set(rate, await runner.run(makeWav([source], rate, "16")))
  }
}, 30_000)
afterAll(() => runner?.close())

/** Two different channels whose average is `samples`: a decoder that drops a channel gets noise. */
const stereo = (samples: Float32Array): [Float32Array, Float32Array] => {
  const random = mulberry32(42)
  const left = new Float32Array(samples.length)
  const right = new Float32Array(samples.length)
  for (let i = 0; i < samples.length; i++) {
    const d = (random() - 0.5) * 0.1
    left[i] = samples[i]! + d
    right[i] = samples[i]! - d
  }
  return [left, right]
}

const f1 = (gated: VoiceGate.Gated): number =>
  FrameScore.score(gated.segments, fixture.truth.speech, gated.probabilities.length).f1

// Every bit depth at every rate; mono and stereo alternate so that every depth and every
// rate is seen both ways (wavefile packs 32-bit float slowly; the full cube takes ~40 s).
const cases = RATES.flatMap((rate, r) =>
  DEPTHS.map((bitDepth, d) => ({ rate, bitDepth, channels: (r + d) % 2 === 0 ? 1 : 2 })),
)

describe("WAV formats", () => {
  it("covers every depth with both channel counts, and every rate with both", () => {
    for (const channels of [1, 2]) {
      for (const bitDepth of DEPTHS) {
        expect(cases.some((c) => c.bitDepth === bitDepth && c.channels === channels)).toBe(true)
      }
      for (const rate of RATES) {
        expect(cases.some((c) => c.rate === rate && c.channels === channels)).toBe(true)
      }
    }
  })

  it("the 16-bit mono file at every rate gates like the 16 kHz one and matches the truth", () => {
    const at16k = references.get(16_000)!
    for (const rate of RATES) {
      const reference = references.get(rate)!
      expect(f1(reference), `${rate} Hz`).toBeGreaterThanOrEqual(MIN_F1)
      // At 8 kHz only 0-4 kHz of the speech survives, and Silero hears the ends of words a little
      // differently (one end moves by 3 frames); the other rates agree within 2 frames.
      const tolerance = rate === 8000 ? 4 * FRAME_SEC : TWO_FRAMES
      expect(
        boundaryDistance(reference.segments, at16k.segments),
        `${rate} Hz: ${show(reference.segments)} vs 16 kHz: ${show(at16k.segments)}`,
      ).toBeLessThanOrEqual(tolerance)
    }
  })

  it.for(cases)(
    "$bitDepth-bit, $channels channel(s), $rate Hz",
    { timeout: 10_000 },
    async ({ rate, bitDepth, channels }) => {
      const source = sources.get(rate)!
      const reference = references.get(rate)!
      const wav = makeWav(channels === 1 ? [source] : stereo(source), rate, bitDepth)

      // Decoding gives the source back (channels averaged), to within one quantisation step.
      const decoded = await Effect.runPromise(WavDecode.decode(wav))
      expect(decoded.sampleRate).toBe(rate)
      expect(decoded.samples.length).toBe(source.length)
      let worst = 0
      for (let i = 0; i < source.length; i++) {
        worst = Math.max(worst, Math.abs(decoded.samples[i]! - source[i]!))
      }
      expect(worst).toBeLessThanOrEqual(step(bitDepth) + 1e-6)

      // Gating finds the same speech as the 16-bit mono file at this rate, and the truth.
      const gated = await runner.run(wav)
      expect(
        boundaryDistance(gated.segments, reference.segments),
        `${show(gated.segments)} vs 16-bit mono ${show(reference.segments)}`,
      ).toBeLessThanOrEqual(TWO_FRAMES)
      expect(f1(gated)).toBeGreaterThanOrEqual(MIN_F1)
    },
  )
})
