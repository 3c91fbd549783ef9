/**
 * Frame-level scoring on the voice gate's grid: 512 samples at 16 kHz, so
 * 32 ms frames; a frame counts as speech when its centre lies in an interval.
 */
import type { Interval } from "./fixtures.js"

export const RATE = 16_000
export const FRAME = 512
export const FRAME_SEC = FRAME / RATE

/** Speech (true) or not for each of `frames` frames, from intervals in seconds. */
export const frameLabels = (intervals: ReadonlyArray<Interval>, frames: number): Array<boolean> =>
  Array.from({ length: frames }, (_, i) => {
    const centre = (i + 0.5) * FRAME_SEC
    return intervals.some((interval) => centre >= interval.start && centre < interval.end)
  })

export interface Score {
  readonly tp: number
  readonly fp: number
  readonly fn: number
  readonly precision: number
  readonly recall: number
  readonly f1: number
}

/** Frame-level precision, recall and F1 of `predicted` intervals against `truth`. */
export const frameScore = (
  predicted: ReadonlyArray<Interval>,
  truth: ReadonlyArray<Interval>,
  frames: number,
): Score => {
  const p = frameLabels(predicted, frames)
  const t = frameLabels(truth, frames)
  let tp = 0
  let fp = 0
  let fn = 0
  for (let i = 0; i < frames; i++) {
    if (p[i] && t[i]) tp++
    else if (p[i]) fp++
    else if (t[i]) fn++
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn)
  const f1 = tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn)
  return { tp, fp, fn, precision, recall, f1 }
}

/** Frames needed to cover `samples` 16 kHz samples (the last one zero-padded). */
export const framesFor = (samples: number): number => Math.ceil(samples / FRAME)

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
