/**
 * `Resample.stage` alone, in a one-stage pipeline: any rate to 16 kHz with
 * the right length and pitch, the same in chunks as in one go, 16 kHz passed
 * through untouched, and a rate change mid-stream refused.
 */

import { Pipeline } from "@edgeline/core"
import { type Audio, Resample, ResampleError } from "@edgeline/recipes"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { maxAbsDiff } from "./support/frames.js"
import { chunkLengths, mulberry32, randomInt, split } from "./support/prng.js"

const OUT = 16_000
const resample = Pipeline.make("resample", Resample.stage)

const sine = (frequency: number, rate: number, seconds: number, amplitude = 0.5): Float32Array =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate),
  )

const oneShot = (chunk: Audio.AudioChunk): Promise<Float32Array> =>
  Effect.runPromise(Pipeline.run(resample, chunk))

/** Pushes the chunks through one session and joins everything that comes out, flush included. */
const streamed = (chunks: ReadonlyArray<Audio.AudioChunk>): Promise<Float32Array> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const session = Pipeline.open(resample)
      const outputs: Array<Float32Array> = []
      for (const chunk of chunks) outputs.push(yield* session.push(chunk))
      outputs.push(...(yield* session.end()))
      const joined = new Float32Array(outputs.reduce((n, o) => n + o.length, 0))
      let offset = 0
      for (const output of outputs) {
        joined.set(output, offset)
        offset += output.length
      }
      return joined
    }),
  )

/** Frequency from zero crossings, ignoring the first and last 20 ms. */
const zeroCrossingHz = (samples: Float32Array, rate: number): number => {
  const margin = Math.round(0.02 * rate)
  let crossings = 0
  for (let i = margin + 1; i < samples.length - margin; i++) {
    if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++
  }
  return crossings / 2 / ((samples.length - 2 * margin - 1) / rate)
}

const rms = (samples: Float32Array, margin = 0): number => {
  let sum = 0
  for (let i = margin; i < samples.length - margin; i++) sum += samples[i]! ** 2
  return Math.sqrt(sum / (samples.length - 2 * margin))
}

const RATES = [44100, 22050, 8000] as const

describe("Resample.stage", () => {
  it.for(RATES)(
    "a 1 kHz sine at %i Hz keeps its length, pitch and level at 16 kHz",
    async (rate) => {
      const input = sine(1000, rate, 2)
      const output = await oneShot({ samples: input, sampleRate: rate })

      const expected = (input.length * OUT) / rate
      expect(Math.abs(output.length - expected) / expected).toBeLessThanOrEqual(0.005)
      expect(Math.abs(zeroCrossingHz(output, OUT) - 1000)).toBeLessThanOrEqual(5)
      expect(rms(output, 320)).toBeCloseTo(0.5 / Math.SQRT2, 2)
    },
  )

  it("removes a 10 kHz tone (above the new Nyquist) instead of aliasing it", async () => {
    const output = await oneShot({ samples: sine(10_000, 44100, 1), sampleRate: 44100 })
    // Aliased, it would come back as a 6 kHz tone at full level (RMS 0.35).
    expect(rms(output, 320)).toBeLessThan(0.01)
  })

  const random = mulberry32(11)
  const chunkings: ReadonlyArray<{ readonly name: string; readonly size: () => number }> = [
    { name: "100-sample chunks", size: () => 100 },
    { name: "441-sample chunks", size: () => 441 },
    { name: "4096-sample chunks", size: () => 4096 },
    { name: "random 1..3000-sample chunks", size: () => randomInt(random, 1, 3000) },
  ]
  const streamCases = RATES.flatMap((rate) => chunkings.map((chunking) => ({ rate, ...chunking })))

  it.for(streamCases)("$rate Hz in $name equals one-shot", async ({ rate, size }) => {
    // A tone sweep, so a glitch at any chunk boundary shows.
    const samples = Float32Array.from(
      { length: rate * 1.5 },
      (_, i) => 0.4 * Math.sin(2 * Math.PI * (200 + (600 * i) / rate) * (i / rate)),
    )
    const whole = await oneShot({ samples, sampleRate: rate })
    const chunks = split(samples, chunkLengths(samples.length, size)).map((s) => ({
      samples: s,
      sampleRate: rate,
    }))
    const pieces = await streamed(chunks)
    expect(pieces.length).toBe(whole.length)
    expect(maxAbsDiff(pieces, whole)).toBeLessThanOrEqual(1e-5)
  })

  it("passes 16 kHz audio through unchanged, whole and in chunks", async () => {
    const samples = Float32Array.from({ length: 16_000 }, (_, i) => Math.sin(i / 3) * 0.3)
    const whole = await oneShot({ samples, sampleRate: OUT })
    expect(Array.from(whole)).toEqual(Array.from(samples))
    const chunks = split(
      samples,
      chunkLengths(samples.length, () => 777),
    ).map((s) => ({
      samples: s,
      sampleRate: OUT,
    }))
    expect(Array.from(await streamed(chunks))).toEqual(Array.from(samples))
  })

  it.for([
    { from: 44100, to: 48000 },
    { from: 16000, to: 22050 },
    { from: 8000, to: 16000 },
  ])(
    "a rate change mid-stream ($from -> $to Hz) fails with ResampleError",
    async ({ from, to }) => {
      const error = await Effect.runPromise(
        Effect.gen(function* () {
          const session = Pipeline.open(resample)
          yield* session.push({ samples: sine(1000, from, 0.1), sampleRate: from })
          return yield* Effect.flip(session.push({ samples: sine(1000, to, 0.1), sampleRate: to }))
        }),
      )
      expect(error).toBeInstanceOf(ResampleError)
      expect(error._tag).toBe("ResampleError")
      expect(error.message).toContain(`from ${from} to ${to} Hz`)
      expect(error.message).not.toMatch(/\n/)
    },
  )

  it.for(RATES)("the end of a %i Hz stream brings out what the filter held back", async (rate) => {
    // The converter lags by a few output samples; ending the stream must drain them, so the
    // output has exactly the input's duration and the tone runs to the end.
    const input = sine(1000, rate, 0.5)
    const output = await streamed([{ samples: input, sampleRate: rate }])
    expect(output.length).toBe((input.length * OUT) / rate)
    expect(rms(output.subarray(output.length - 48, output.length - 16))).toBeGreaterThan(0.3)
  })

  it("a chunk without samples passes as none and fixes no rate (a decoder's chunks before its header)", async () => {
    // As the entry stage, chunks must name a rate of 1 Hz or more; after a decoder, 0 passes too.
    const empty = (sampleRate: number) => ({ samples: new Float32Array(0), sampleRate })
    const out = await streamed([
      empty(1),
      empty(16_000),
      empty(8000),
      { samples: sine(1000, 44100, 0.1), sampleRate: 44100 },
      empty(22_050),
      { samples: sine(1000, 44100, 0.1), sampleRate: 44100 },
    ])
    expect(out.length).toBe(3200)
    expect(await oneShot(empty(1))).toEqual(new Float32Array(0))
  })

  // libsamplerate-js takes rates up to 192 kHz; above, the converter works at half both rates.
  it.for([
    { rate: 4000, frequency: 1000 },
    { rate: 192_000, frequency: 5000 },
    { rate: 352_800, frequency: 5000 },
    { rate: 384_000, frequency: 1000 },
    { rate: 384_000, frequency: 5000 },
  ])(
    "a $frequency Hz sine at $rate Hz comes out at 16 kHz as the exact 16 kHz sine",
    async ({ rate, frequency }) => {
      const output = await oneShot({ samples: sine(frequency, rate, 1), sampleRate: rate })
      expect(output.length).toBe(16_000)
      // Against the mathematically exact 16 kHz sine (the converter's delay compensated by
      // libsamplerate itself), ignoring the first and last 10 ms of filter edges.
      const exact = sine(frequency, OUT, 1)
      const margin = 160
      const error = output.map((x, i) => x - exact[i]!).subarray(margin, -margin)
      expect(rms(error) / rms(exact, margin)).toBeLessThan(0.01)
    },
  )

  it.for([1, 64, 3999, 384_001, 768_000])(
    "a chunk at %i Hz fails with a ResampleError naming the supported range",
    async (rate) => {
      const error = await Effect.runPromise(
        Effect.flip(Pipeline.run(resample, { samples: new Float32Array(64), sampleRate: rate })),
      )
      expect(error).toBeInstanceOf(ResampleError)
      expect(error.message).toContain(`${rate} Hz is outside the supported 4000–384000 Hz`)
    },
  )

  it("the same rate in every chunk is fine, and a new stream may use a new rate", async () => {
    const first = await streamed([
      { samples: sine(1000, 44100, 0.1), sampleRate: 44100 },
      { samples: sine(1000, 44100, 0.1), sampleRate: 44100 },
    ])
    const second = await streamed([{ samples: sine(1000, 8000, 0.2), sampleRate: 8000 }])
    expect(first.length).toBe(3200)
    expect(second.length).toBe(3200)
  })

  it("gives the next stream at a rate the converter an ended one used, reset to resample as new", async () => {
    // An odd length, so a converter that was not reset would start at another phase.
    const random = mulberry32(11)
    const samples = Float32Array.from({ length: 22_050 + 37 }, () => random() - 0.5)
    const input = { samples, sampleRate: 22_050 }
    Resample.releaseIdle()
    const first = await oneShot(input)
    const again = await oneShot(input)
    const streamedAgain = await streamed(
      split(samples, [1000, 5000, 16_087]).map((part) => ({ samples: part, sampleRate: 22_050 })),
    )
    // One converter served all three streams (three made would leave two idle).
    expect(Resample.releaseIdle()).toBe(1)
    expect(maxAbsDiff(again, first)).toBe(0)
    expect(maxAbsDiff(streamedAgain, first)).toBe(0)
  })
})
