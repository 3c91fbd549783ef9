import { FrameScore } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"
import { mulberry32 } from "./support/prng.js"

const F = FrameScore.FRAME_SEC // 0.032 s

describe("FrameScore", () => {
  it("labels a frame as speech when its centre is in an interval, start inclusive and end exclusive", () => {
    // Centres at 0.016, 0.048, 0.080, 0.112 s.
    expect(Array.from(FrameScore.labels([{ start: 1.5 * F, end: 3.5 * F }], 4))).toEqual([
      0, 1, 1, 0,
    ])
    expect(Array.from(FrameScore.labels([{ start: 1.6 * F, end: 3.6 * F }], 4))).toEqual([
      0, 0, 1, 1,
    ])
    expect(Array.from(FrameScore.labels([{ start: 0, end: 10 }], 3))).toEqual([1, 1, 1])
  })

  it("labels exactly the frames whose centre lies in an interval, for random intervals", () => {
    const random = mulberry32(5)
    const frames = 4000
    const intervals = Array.from({ length: 300 }, () => {
      // Half the boundaries exactly on frame centres, where rounding would show.
      const at = () =>
        random() < 0.5 ? (Math.floor(random() * frames) + 0.5) * F : random() * frames * F
      const [a, b] = [at(), at()].sort((x, y) => x - y)
      return { start: a!, end: b! }
    })
    const labels = FrameScore.labels(intervals, frames)
    for (let i = 0; i < frames; i++) {
      const centre = (i + 0.5) * F
      const inside = intervals.some(({ start, end }) => centre >= start && centre < end)
      expect(labels[i], `frame ${i}`).toBe(inside ? 1 : 0)
    }
  })

  it("counts frames covering a duration, the last one partial", () => {
    expect(FrameScore.framesFor(0)).toBe(0)
    expect(FrameScore.framesFor(60)).toBe(1875)
    expect(FrameScore.framesFor(60.001)).toBe(1876)
    expect(FrameScore.framesFor(10 * F)).toBe(10)
  })

  it("scores hits, false alarms and misses", () => {
    const truth = [{ start: 0, end: 4 * F }] // frames 0..3
    const predicted = [{ start: 2 * F, end: 6 * F }] // frames 2..5
    expect(FrameScore.score(predicted, truth, 8)).toEqual({
      tp: 2,
      fp: 2,
      fn: 2,
      precision: 0.5,
      recall: 0.5,
      f1: 0.5,
      frames: 8,
    })
  })

  it("gives 1 for nothing found where there was nothing, and 0 F1 for a gate that keeps nothing", () => {
    expect(FrameScore.score([], [], 10)).toMatchObject({ precision: 1, recall: 1, f1: 1 })
    expect(FrameScore.score([], [{ start: 0, end: 1 }], 10)).toMatchObject({
      precision: 1,
      recall: 0,
      f1: 0,
    })
  })
})
