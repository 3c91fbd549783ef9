/**
 * A long recording built from the speech fixtures: each decoded and resampled
 * to 16 kHz by the gate's own stages, laid end to end (cycling through them)
 * and cut to `seconds`, as a 16 kHz PCM16 WAV, with the truth shifted along.
 */
import { Pipeline } from "@edgeline/core"
import { Audio, Resample, VoiceGate, WavDecode } from "@edgeline/recipes"
import { Effect } from "effect"
import { type Interval, loadFixtures } from "./fixtures.js"
import { RATE } from "./frames.js"

export interface Recording {
  readonly wav: Uint8Array
  readonly truth: ReadonlyArray<Interval>
  readonly durationSec: number
}

const to16k = Pipeline.make("test-resample-16k", Resample.stage)

export const buildRecording = async (seconds: number): Promise<Recording> => {
  const pieces: Array<{ samples: Float32Array; speech: ReadonlyArray<Interval> }> = []
  for (const fixture of loadFixtures()) {
    const chunk = await Effect.runPromise(WavDecode.decode(fixture.bytes))
    pieces.push({
      samples: await Effect.runPromise(Pipeline.run(to16k, chunk)),
      speech: fixture.truth.speech,
    })
  }
  const total = Math.round(seconds * RATE)
  const samples = new Float32Array(total)
  const truth: Array<Interval> = []
  for (let at = 0, k = 0; at < total; k++) {
    const piece = pieces[k % pieces.length]!
    const take = Math.min(piece.samples.length, total - at)
    samples.set(piece.samples.subarray(0, take), at)
    for (const { start, end } of piece.speech) {
      const s = start + at / RATE
      const e = Math.min(end + at / RATE, (at + take) / RATE)
      if (s < e) truth.push({ start: s, end: e })
    }
    at += take
  }
  return { wav: VoiceGate.toWav(Audio.toPcm16(samples)), truth, durationSec: seconds }
}
