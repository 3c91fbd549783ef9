/**
 * The voice gate on every speech fixture, with the real Silero v5 model:
 * frame-level F1 of its segments against the espeak-ng truth.
 */
import { FrameScore } from "@edgeline/recipes"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadFixtures } from "./support/fixtures.js"
import { FRAME, framesForSamples, RATE, show } from "./support/frames.js"
import { type FileRunner, fileRunner } from "./support/gate.js"
import { wavInfo } from "./support/wav.js"

const MIN_F1 = 0.9
const fixtures = loadFixtures()

let runner: FileRunner
beforeAll(async () => {
  runner = await fileRunner()
})
afterAll(() => runner?.close())

describe("voice gate accuracy", () => {
  it("finds the fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(4)
  })

  it.for(fixtures)(
    "$name: frame F1 >= 0.9 against the truth",
    { timeout: 20_000 },
    async (fixture) => {
      const { truth } = fixture
      const gated = await runner.run(fixture.bytes)

      // Every sample of the file is examined at 16 kHz (the resampler's tail included), and
      // there is one probability per 512-sample frame, the last one zero-padded.
      const header = wavInfo(fixture.bytes)
      const exactSamples = Math.round((header.frames * RATE) / header.sampleRate)
      expect(exactSamples).toBe(Math.round(truth.durationSec * RATE))
      expect(gated.samples).toBe(exactSamples)
      expect(gated.probabilities.length).toBe(framesForSamples(exactSamples))
      expect(gated.probabilities.length).toBe(Math.ceil(gated.samples / FRAME))
      expect(gated.bytesIn).toBe(gated.samples * 2)

      const frames = gated.probabilities.length
      expect(FrameScore.framesFor(truth.durationSec)).toBe(frames)
      const score = FrameScore.score(gated.segments, truth.speech, frames)
      console.log(
        `[accuracy] ${fixture.name}: F1 ${score.f1.toFixed(3)} (precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)}, ${frames} frames)\n` +
          `  gate:  ${show(gated.segments)}\n  truth: ${show(truth.speech)}`,
      )
      expect(score.f1, `${fixture.name} F1`).toBeGreaterThanOrEqual(MIN_F1)
    },
  )
})
