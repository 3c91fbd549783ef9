// The benchmark recording: the speech fixtures decoded with the gate's own
// WAV decoder, resampled to 16 kHz with the gate's own resample stage, laid
// end to end (cycling through them) and cut to exactly `seconds`. Their truth
// intervals are shifted by each piece's offset and clipped at the cut.
//
// The samples are quantised to PCM16, so the Float32 audio the stream
// benchmarks get is exactly what the gate decodes from the WAV bytes.
import { readFile } from "node:fs/promises"
import { Pipeline } from "@edgeline/core"
import { Audio, Resample, VoiceGate, WavDecode } from "@edgeline/recipes"
import { Effect } from "effect"

export const SAMPLE_RATE = 16_000

export const FIXTURES = [
  "conversation-16k-mono",
  "noisy-8k-mono",
  "fast-22k-stereo",
  "slow-24k-float",
]

const fixtureDir = new URL("../../packages/recipes/test/fixtures/", import.meta.url)

const resampler = Pipeline.make("bench-resample-16k", Resample.stage)

/** One fixture as 16 kHz mono Float32 plus its truth intervals (seconds). */
export const loadFixture = async (name) => {
  const bytes = new Uint8Array(await readFile(new URL(`${name}.wav`, fixtureDir)))
  const truth = JSON.parse(await readFile(new URL(`${name}.json`, fixtureDir), "utf8"))
  const chunk = await Effect.runPromise(WavDecode.decode(bytes))
  const samples = await Effect.runPromise(Pipeline.run(resampler, chunk))
  return {
    name,
    sourceRate: chunk.sampleRate,
    samples,
    speech: truth.speech.map(({ start, end }) => ({ start, end })),
  }
}

export const buildRecording = async ({ seconds = 60 } = {}) => {
  const total = Math.round(seconds * SAMPLE_RATE)
  const fixtures = []
  for (const name of FIXTURES) fixtures.push(await loadFixture(name))

  const mixed = new Float32Array(total)
  const truth = []
  const pieces = []
  let at = 0
  for (let k = 0; at < total; k++) {
    const f = fixtures[k % fixtures.length]
    const take = Math.min(f.samples.length, total - at)
    mixed.set(f.samples.subarray(0, take), at)
    const offset = at / SAMPLE_RATE
    const cut = (at + take) / SAMPLE_RATE
    for (const { start, end } of f.speech) {
      const s = start + offset
      const e = Math.min(end + offset, cut)
      if (s < e) truth.push({ start: s, end: e })
    }
    pieces.push({
      fixture: f.name,
      sourceRate: f.sourceRate,
      offsetSec: offset,
      durationSec: take / SAMPLE_RATE,
    })
    at += take
  }

  // The stream benchmarks get exactly the Float32 audio the gate decodes from the WAV.
  const wav = VoiceGate.toWav(Audio.toPcm16(mixed))
  const { samples } = await Effect.runPromise(WavDecode.decode(wav))

  const speechSec = truth.reduce((n, { start, end }) => n + end - start, 0)
  return {
    samples,
    sampleRate: SAMPLE_RATE,
    durationSec: total / SAMPLE_RATE,
    truth,
    speechSec,
    wav,
    pieces,
  }
}
