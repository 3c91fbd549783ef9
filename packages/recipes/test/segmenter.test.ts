/**
 * `Segmenter.make` driven directly with synthetic frame probabilities: the
 * hangover rules (threshold, min speech, min silence, padding), flushing,
 * the audio it cuts, and the same result however the frames are chunked.
 */
import { Segmenter, type SileroVad } from "@edgeline/recipes"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { FRAME, RATE } from "./support/frames.js"
import { mulberry32 } from "./support/prng.js"

const SPEECH = 0.9
const SILENCE = 0.05

/** Probabilities from runs of [probability, frames]. */
const pattern = (...runs: ReadonlyArray<readonly [number, number]>): Array<number> =>
  runs.flatMap(([p, n]) => Array.from({ length: n }, () => p))

/** Frames `first..` with these probabilities; every sample holds its own index in the stream. */
const scored = (
  first: number,
  probabilities: ReadonlyArray<number>,
  valid = probabilities.length * FRAME,
): SileroVad.Scored => ({
  first,
  count: probabilities.length,
  size: FRAME,
  valid,
  samples: Float32Array.from({ length: probabilities.length * FRAME }, (_, i) =>
    i < valid ? first * FRAME + i : 0,
  ),
  probabilities: Float32Array.from(probabilities),
})

interface Run {
  /** One output per step, in order. */
  readonly steps: ReadonlyArray<Segmenter.Segmented>
  readonly flushed: Segmenter.Segmented
  readonly segments: ReadonlyArray<Segmenter.Segment>
}

/**
 * Feeds the probabilities in chunks of `chunk` frames (all at once by default),
 * the last frame holding `lastValid` real samples, then flushes.
 */
const segment = async (
  probabilities: ReadonlyArray<number>,
  options: Segmenter.Options = {},
  { chunk = probabilities.length, lastValid = FRAME }: { chunk?: number; lastValid?: number } = {},
): Promise<Run> => {
  const instance = Segmenter.make(options).open()
  const steps: Array<Segmenter.Segmented> = []
  for (let first = 0; first < probabilities.length; first += chunk) {
    const part = probabilities.slice(first, first + chunk)
    const isLast = first + chunk >= probabilities.length
    const valid = part.length * FRAME - (isLast ? FRAME - lastValid : 0)
    steps.push(await Effect.runPromise(instance.step(scored(first, part, valid))))
  }
  expect(instance.flush).toBeDefined()
  const flushed = await Effect.runPromise(instance.flush!())
  return { steps, flushed, segments: [...steps.flatMap((s) => s.segments), ...flushed.segments] }
}

/** Seconds at a sample index. */
const at = (sample: number): number => sample / RATE
/** Segment bounds in samples. */
const bounds = (segments: ReadonlyArray<Segmenter.Segment>) =>
  segments.map((s) => [Math.round(s.start * RATE), Math.round(s.end * RATE)])

/** Each segment's audio is exactly the stream's samples from start to end. */
const expectAudioMatches = (segments: ReadonlyArray<Segmenter.Segment>) => {
  for (const s of segments) {
    const from = Math.round(s.start * RATE)
    const to = Math.round(s.end * RATE)
    expect(s.audio.length).toBe(to - from)
    expect(s.audio.length).toBeCloseTo((s.end - s.start) * RATE, 6)
    expect(s.audio[0]).toBe(from)
    expect(s.audio[s.audio.length - 1]).toBe(to - 1)
  }
}

const PAD = 480 // default 30 ms

describe("Segmenter", () => {
  it("turns a run of speech into one segment widened by the padding", async () => {
    const { segments } = await segment(pattern([SILENCE, 10], [SPEECH, 20], [SILENCE, 20]))
    expect(bounds(segments)).toEqual([[10 * FRAME - PAD, 30 * FRAME + PAD]])
    expect(segments[0]!.start).toBeCloseTo(at(10 * FRAME - PAD), 9)
    expectAudioMatches(segments)
  })

  it("passes probabilities, first frame and sample counts through", async () => {
    const probabilities = pattern([SILENCE, 3], [SPEECH, 2])
    const { steps, flushed } = await segment(probabilities, {}, { chunk: 2, lastValid: 100 })
    expect(steps.map((s) => s.firstFrame)).toEqual([0, 2, 4])
    expect(steps.flatMap((s) => Array.from(s.probabilities))).toEqual(
      Array.from(Float32Array.from(probabilities)),
    )
    expect(steps.map((s) => s.samples)).toEqual([2 * FRAME, 2 * FRAME, 100])
    expect(flushed.probabilities.length).toBe(0)
    expect(flushed.samples).toBe(0)
  })

  it("emits a segment in the step where 100 ms of silence closes it, not at the end", async () => {
    const { steps, flushed } = await segment(
      pattern([SILENCE, 10], [SPEECH, 20], [SILENCE, 20]),
      {},
      { chunk: 1 },
    )
    const closing = steps.findIndex((s) => s.segments.length > 0)
    // Silence from frame 30; frame 33 ends 4 frames (128 ms >= 100 ms) into it.
    expect(closing).toBe(33)
    expect(steps.filter((s) => s.segments.length > 0)).toHaveLength(1)
    expect(flushed.segments).toHaveLength(0)
  })

  describe("min speech", () => {
    it("drops blips shorter than 250 ms and keeps longer runs", async () => {
      // 7 frames = 224 ms, 8 frames = 256 ms.
      const blip = await segment(pattern([SILENCE, 10], [SPEECH, 7], [SILENCE, 20]))
      expect(blip.segments).toHaveLength(0)
      const word = await segment(pattern([SILENCE, 10], [SPEECH, 8], [SILENCE, 20]))
      expect(word.segments).toHaveLength(1)
    })

    it("follows minSpeechMs", async () => {
      const probabilities = pattern(
        [SILENCE, 10],
        [SPEECH, 4],
        [SILENCE, 10],
        [SPEECH, 3],
        [SILENCE, 20],
      )
      expect((await segment(probabilities)).segments).toHaveLength(0)
      // 128 ms is kept, 96 ms is not.
      const { segments } = await segment(probabilities, { minSpeechMs: 100 })
      expect(bounds(segments)).toEqual([[10 * FRAME - PAD, 14 * FRAME + PAD]])
    })
  })

  describe("min silence", () => {
    it("bridges gaps shorter than 100 ms and splits at longer ones", async () => {
      // 3 frames = 96 ms: one segment; 4 frames = 128 ms: two.
      const short = await segment(
        pattern([SILENCE, 10], [SPEECH, 20], [SILENCE, 3], [SPEECH, 20], [SILENCE, 20]),
      )
      expect(bounds(short.segments)).toEqual([[10 * FRAME - PAD, 53 * FRAME + PAD]])
      const long = await segment(
        pattern([SILENCE, 10], [SPEECH, 20], [SILENCE, 4], [SPEECH, 20], [SILENCE, 20]),
      )
      expect(bounds(long.segments)).toEqual([
        [10 * FRAME - PAD, 30 * FRAME + PAD],
        [34 * FRAME - PAD, 54 * FRAME + PAD],
      ])
      expectAudioMatches(long.segments)
    })

    it("follows minSilenceMs", async () => {
      const probabilities = pattern(
        [SILENCE, 10],
        [SPEECH, 20],
        [SILENCE, 8],
        [SPEECH, 20],
        [SILENCE, 20],
      )
      expect((await segment(probabilities)).segments).toHaveLength(2)
      expect((await segment(probabilities, { minSilenceMs: 300 })).segments).toHaveLength(1)
      expect((await segment(probabilities, { minSilenceMs: 250 })).segments).toHaveLength(2)
    })

    it("does not end speech on frames between threshold - 0.15 and threshold", async () => {
      const unsure = await segment(
        pattern([SILENCE, 10], [SPEECH, 20], [0.4, 30], [SPEECH, 10], [SILENCE, 20]),
      )
      expect(bounds(unsure.segments)).toEqual([[10 * FRAME - PAD, 70 * FRAME + PAD]])
      const quiet = await segment(
        pattern([SILENCE, 10], [SPEECH, 20], [0.3, 30], [SPEECH, 10], [SILENCE, 20]),
      )
      expect(quiet.segments).toHaveLength(2)
    })
  })

  describe("padding", () => {
    it("padMs 0 gives the speech frames exactly; padMs widens both sides", async () => {
      const probabilities = pattern([SILENCE, 10], [SPEECH, 20], [SILENCE, 20])
      expect(bounds((await segment(probabilities, { padMs: 0 })).segments)).toEqual([
        [10 * FRAME, 30 * FRAME],
      ])
      expect(bounds((await segment(probabilities, { padMs: 90 })).segments)).toEqual([
        [10 * FRAME - 1440, 30 * FRAME + 1440],
      ])
    })

    it("is clipped at the start and the end of the stream", async () => {
      const { segments } = await segment(pattern([SPEECH, 20]), { padMs: 90 })
      expect(bounds(segments)).toEqual([[0, 20 * FRAME]])
      expectAudioMatches(segments)
    })

    it("longer than min silence: the segment waits for its trailing pad", async () => {
      // padMs 300 = 4800 samples: the segment closes 10 frames into the silence, with its full pad.
      const probabilities = pattern([SILENCE, 20], [SPEECH, 20], [SILENCE, 30])
      const { steps } = await segment(probabilities, { padMs: 300 }, { chunk: 1 })
      expect(steps.findIndex((s) => s.segments.length > 0)).toBe(49)
      const segments = steps.flatMap((s) => s.segments)
      expect(bounds(segments)).toEqual([[20 * FRAME - 4800, 40 * FRAME + 4800]])
      expectAudioMatches(segments)
    })

    it("never overlaps the previous segment", async () => {
      // A 6-frame gap (3072 samples) is narrower than two 100 ms pads (3200 samples).
      const probabilities = pattern(
        [SILENCE, 10],
        [SPEECH, 20],
        [SILENCE, 6],
        [SPEECH, 20],
        [SILENCE, 20],
      )
      const { segments } = await segment(probabilities, { padMs: 100 })
      expect(segments).toHaveLength(2)
      const [first, second] = segments as [Segmenter.Segment, Segmenter.Segment]
      expect(first.end).toBe(at(30 * FRAME + 1600))
      expect(second.start).toBe(first.end)
      expect(second.audio[0]).toBe(first.audio[first.audio.length - 1]! + 1)
      expectAudioMatches(segments)
    })
  })

  describe("threshold", () => {
    it("changes what counts as speech", async () => {
      const probabilities = pattern([SILENCE, 10], [0.4, 20], [SILENCE, 20])
      expect((await segment(probabilities)).segments).toHaveLength(0)
      expect(bounds((await segment(probabilities, { threshold: 0.3 })).segments)).toEqual([
        [10 * FRAME - PAD, 30 * FRAME + PAD],
      ])
      const strong = pattern([SILENCE, 10], [0.7, 20], [SILENCE, 20])
      expect((await segment(strong)).segments).toHaveLength(1)
      expect((await segment(strong, { threshold: 0.8 })).segments).toHaveLength(0)
    })

    it("ends speech below threshold - 0.15", async () => {
      // threshold 0.7: 0.6 keeps the segment open, 0.5 (< 0.55) closes it.
      const probabilities = pattern(
        [SILENCE, 10],
        [SPEECH, 20],
        [0.6, 10],
        [0.5, 10],
        [SPEECH, 20],
        [SILENCE, 20],
      )
      const { segments } = await segment(probabilities, { threshold: 0.7 })
      expect(bounds(segments)).toEqual([
        [10 * FRAME - PAD, 40 * FRAME + PAD],
        [50 * FRAME - PAD, 70 * FRAME + PAD],
      ])
    })
  })

  describe("flush", () => {
    it("closes a segment still open at the end", async () => {
      const { steps, flushed } = await segment(
        pattern([SILENCE, 10], [SPEECH, 20]),
        {},
        { chunk: 5, lastValid: 200 },
      )
      expect(steps.flatMap((s) => s.segments)).toHaveLength(0)
      expect(flushed.segments).toHaveLength(1)
      // Ends with the last real sample: 29 whole frames and 200 samples of the last one.
      expect(bounds(flushed.segments)).toEqual([[10 * FRAME - PAD, 29 * FRAME + 200]])
      expectAudioMatches(flushed.segments)
    })

    it("closes at the end when the trailing silence is shorter than min silence", async () => {
      const { steps, flushed } = await segment(pattern([SILENCE, 10], [SPEECH, 20], [SILENCE, 2]))
      expect(steps.flatMap((s) => s.segments)).toHaveLength(0)
      expect(bounds(flushed.segments)).toEqual([[10 * FRAME - PAD, 32 * FRAME]])
    })

    it("drops a too-short segment open at the end", async () => {
      const { segments } = await segment(pattern([SILENCE, 10], [SPEECH, 3]))
      expect(segments).toHaveLength(0)
    })
  })

  describe("chunking", () => {
    const random = mulberry32(5)
    // Random speech-like probabilities: runs of 1..40 frames, some between the thresholds.
    const probabilities: Array<number> = []
    while (probabilities.length < 1000) {
      const p = [SPEECH, SILENCE, SILENCE, 0.4, 0.55, 0.2][Math.floor(random() * 6)]!
      probabilities.push(...pattern([p, 1 + Math.floor(random() * 40)]))
    }
    const optionSets: ReadonlyArray<Segmenter.Options> = [
      {},
      { padMs: 0, minSpeechMs: 100 },
      { padMs: 100, minSilenceMs: 200 },
      { padMs: 300, minSilenceMs: 100 },
      { threshold: 0.3 },
    ]

    it.for(optionSets)("gives the same segments and audio in any chunks (%o)", async (options) => {
      const whole = await segment(probabilities, options)
      expect(whole.segments.length).toBeGreaterThan(3)
      expectAudioMatches(whole.segments)
      for (const chunk of [1, 3, 64]) {
        const pieces = await segment(probabilities, options, { chunk })
        expect(bounds(pieces.segments), `chunks of ${chunk} frames`).toEqual(bounds(whole.segments))
        expectAudioMatches(pieces.segments)
      }
      // Segments are ordered and never overlap.
      for (let i = 1; i < whole.segments.length; i++) {
        expect(whole.segments[i]!.start).toBeGreaterThanOrEqual(whole.segments[i - 1]!.end)
      }
    })
  })
})
