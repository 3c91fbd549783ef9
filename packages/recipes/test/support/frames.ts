/**
 * The voice gate's frame grid (512 samples at 16 kHz, so 32 ms frames) and
 * comparisons of segments and arrays for the tests. Scoring against the truth
 * is the package's own `FrameScore`.
 */
import { Audio, FrameScore, SileroVad } from "@edgeline/recipes"
import type { Interval } from "./fixtures.js"

export const RATE = Audio.MODEL_RATE
export const FRAME = SileroVad.FRAME
export const FRAME_SEC = FrameScore.FRAME_SEC

/** Frames needed to cover `samples` 16 kHz samples (the last one zero-padded). */
export const framesForSamples = (samples: number): number => Math.ceil(samples / FRAME)

/** Largest distance between matching boundaries; Infinity when the counts differ. */
export const boundaryDistance = (
  a: ReadonlyArray<Interval>,
  b: ReadonlyArray<Interval>,
): number => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]!.start - b[i]!.start), Math.abs(a[i]!.end - b[i]!.end))
  }
  return worst
}

/** Segments as a short readable string, for assertion messages and logs. */
export const show = (segments: ReadonlyArray<Interval>): string =>
  segments.map((s) => `${s.start.toFixed(3)}-${s.end.toFixed(3)}`).join(" ")

/** Largest absolute difference between two equally long arrays; Infinity when lengths differ. */
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!))
  return worst
}
