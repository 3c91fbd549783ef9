/**
 * The live gate (`VoiceGate.stream`) fed decoded audio in chunks of many
 * sizes agrees with the whole-file gate: same frame probabilities, same
 * segments, same bytes; segments come out while the stream runs; and the
 * VAD state carried from chunk to chunk matters.
 */
import { createRunner } from "@edgeline/core"
import { type Audio, VoiceGate, WavDecode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Fixture, loadFixture, loadFixtures } from "./support/fixtures.js"
import { boundaryDistance, FRAME, FRAME_SEC, maxAbsDiff, show } from "./support/frames.js"
import {
  type FileRunner,
  fileRunner,
  type StreamRunner,
  streamRunner,
  streamThrough,
} from "./support/gate.js"
import { chunkLengths, mulberry32, randomInt, split } from "./support/prng.js"

const fixtures = loadFixtures()

let files: FileRunner
let live: StreamRunner
beforeAll(async () => {
  files = await fileRunner()
  live = await streamRunner()
})
afterAll(async () => {
  await files?.close()
  await live?.close()
})

const decode = (fixture: Fixture): Promise<Audio.AudioChunk> =>
  Effect.runPromise(WavDecode.decode(fixture.bytes))

const chunked = (
  audio: Audio.AudioChunk,
  lengths: ReadonlyArray<number>,
): Array<Audio.AudioChunk> =>
  split(audio.samples, lengths).map((samples) => ({ samples, sampleRate: audio.sampleRate }))

interface Chunking {
  readonly name: string
  readonly lengths: (total: number) => Array<number>
}

const fixed = (size: number): Chunking => ({
  name: `${size}-sample chunks`,
  lengths: (total) => chunkLengths(total, () => size),
})

const chunkings: ReadonlyArray<Chunking> = [
  fixed(160),
  fixed(1000),
  fixed(4096),
  {
    name: "random chunks of 1..6000 samples (seed 7)",
    lengths: (total) => {
      const random = mulberry32(7)
      return chunkLengths(total, () => randomInt(random, 1, 6000))
    },
  },
]

const cases = fixtures.flatMap((fixture) => chunkings.map((chunking) => ({ fixture, chunking })))

describe("VoiceGate.stream against the whole-file gate", () => {
  it.for(cases)(
    "$fixture.name in $chunking.name",
    { timeout: 30_000 },
    async ({ fixture, chunking }) => {
      const whole = await files.run(fixture.bytes)
      const audio = await decode(fixture)
      const lengths = chunking.lengths(audio.samples.length)
      const streamed = await streamThrough(live, chunked(audio, lengths))
      const merged = VoiceGate.merge(streamed.all)

      // Same probabilities, frame for frame.
      expect(merged.probabilities.length).toBe(whole.probabilities.length)
      expect(maxAbsDiff(merged.probabilities, whole.probabilities)).toBeLessThanOrEqual(1e-4)

      // Same segments, boundaries within one frame.
      expect(
        boundaryDistance(merged.segments, whole.segments),
        `stream ${show(merged.segments)} vs file ${show(whole.segments)}`,
      ).toBeLessThanOrEqual(FRAME_SEC)

      // Same bytes in and out, within one frame of 16-bit samples.
      expect(Math.abs(merged.bytesIn - whole.bytesIn)).toBeLessThanOrEqual(FRAME * 2)
      expect(Math.abs(merged.bytesOut - whole.bytesOut)).toBeLessThanOrEqual(FRAME * 2)
      expect(merged.speech.length * 2).toBe(merged.bytesOut)
      expect(merged.firstFrame).toBe(0)

      // Segments come out as they close, not all in the final flush.
      const early = streamed.pushed.flatMap((out) => out.segments)
      expect(early.length).toBeGreaterThanOrEqual(1)
      expect(early.length).toBeGreaterThanOrEqual(whole.segments.length - 1)
      // ...and soon after they end: a segment closes after 100 ms of silence (4 frames, 128 ms,
      // from its unpadded end, 30 ms before `end`), so the chunk that brings it starts at most
      // ~0.1 s after `end`; 0.15 s leaves room for the resampler's lag.
      let pushedSec = 0
      const delays: Array<number> = []
      streamed.pushed.forEach((out, i) => {
        for (const segment of out.segments) delays.push(pushedSec - segment.end)
        pushedSec += lengths[i]! / audio.sampleRate
      })
      expect(delays.length).toBe(early.length)
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(0.15)
    },
  )
})

describe("VoiceGate.live with options", () => {
  it("padMs > minSilenceMs: live segments keep their full padding, as in the file run", {
    timeout: 30_000,
  }, async () => {
    const options = { padMs: 300, minSilenceMs: 100 }
    const fixture = loadFixture("conversation-16k-mono")
    const fileGate = await createRunner(VoiceGate.fromWav(options), { layer: NodeRuntime.layer() })
    const liveGate = await createRunner(VoiceGate.live(options), { layer: NodeRuntime.layer() })
    try {
      const whole = await fileGate.run(fixture.bytes)
      const audio = await decode(fixture)
      const chunks = chunked(
        audio,
        chunkLengths(audio.samples.length, () => 160),
      )
      const merged = VoiceGate.merge((await streamThrough(liveGate, chunks)).all)
      expect(whole.segments.length).toBeGreaterThanOrEqual(3)
      expect(
        boundaryDistance(merged.segments, whole.segments),
        `stream ${show(merged.segments)} vs file ${show(whole.segments)}`,
      ).toBeLessThanOrEqual(FRAME_SEC)
      expect(Math.abs(merged.bytesOut - whole.bytesOut)).toBeLessThanOrEqual(FRAME * 2)
    } finally {
      await fileGate.close()
      await liveGate.close()
    }
  })
})

describe("carried state", () => {
  it("a fresh session per chunk (VAD state and context reset) gives different probabilities", {
    timeout: 30_000,
  }, async () => {
    // 16 kHz audio in whole frames: no resampling, the same frame grid, so only the
    // reset of Silero's recurrent state and 64-sample context can change anything.
    const fixture = loadFixture("conversation-16k-mono")
    const audio = await decode(fixture)
    expect(audio.sampleRate).toBe(16_000)
    const chunks = chunked(
      audio,
      chunkLengths(audio.samples.length, () => FRAME * 8),
    )

    const carried = VoiceGate.merge((await streamThrough(live, chunks)).all)
    const perChunk: Array<VoiceGate.Gated> = []
    for (const chunk of chunks) perChunk.push(...(await streamThrough(live, [chunk])).all)
    const reset = VoiceGate.merge(perChunk)
    const whole = await files.run(fixture.bytes)

    expect(carried.probabilities.length).toBe(whole.probabilities.length)
    expect(reset.probabilities.length).toBe(whole.probabilities.length)
    expect(maxAbsDiff(carried.probabilities, whole.probabilities)).toBeLessThanOrEqual(1e-4)
    // Each chunk's first frames now start from zero state; speech onsets inside them score differently.
    const diffs = Array.from(reset.probabilities, (p, i) => Math.abs(p - whole.probabilities[i]!))
    expect(Math.max(...diffs)).toBeGreaterThan(0.1)
    expect(diffs.filter((d) => d > 0.05).length).toBeGreaterThan(5)
  })
})
