/**
 * Frame-level detection scores: how well speech intervals match labelled
 * truth, on the voice gate's own grid of 512-sample frames at 16 kHz (32 ms).
 * A frame is speech when its centre lies in an interval (start inclusive, end
 * exclusive). For tuning a gate's threshold and padding on labelled
 * recordings; our accuracy tests and the peer benchmark use it too.
 *
 * @example
 * ```ts
 * const frames = FrameScore.framesFor(durationSec)
 * const { f1, precision, recall } = FrameScore.score(gated.segments, truth, frames)
 * ```
 */
import { MODEL_RATE } from "../audio/Audio.js"
import { FRAME } from "./SileroVad.js"

/** Seconds from the start of the recording. */
export interface Interval {
  readonly start: number
  readonly end: number
}

export interface Score {
  readonly tp: number
  readonly fp: number
  readonly fn: number
  /** 1 when nothing was predicted: no false alarms. */
  readonly precision: number
  /** 1 when there was nothing to find. */
  readonly recall: number
  /** 1 when both are empty. */
  readonly f1: number
  readonly frames: number
}

export const FRAME_SEC = FRAME / MODEL_RATE

/** Frames covering `durationSec` of audio, the last one partial. */
// The epsilon keeps a duration of whole frames, computed in floating point, from gaining one.
export const framesFor = (durationSec: number): number =>
  Math.max(0, Math.ceil(durationSec / FRAME_SEC - 1e-9))

/** 1 for each of `frames` frames whose centre lies in an interval, else 0. */
export const labels = (intervals: ReadonlyArray<Interval>, frames: number): Uint8Array => {
  const out = new Uint8Array(frames)
  // Each interval visits only its own frames (from the one before its start, as
  // the estimate may round either way), so an hour of labels stays linear.
  for (const { start, end } of intervals) {
    for (let i = Math.max(0, Math.floor(start / FRAME_SEC - 0.5)); i < frames; i++) {
      const centre = (i + 0.5) * FRAME_SEC
      if (centre >= end) break
      if (centre >= start) out[i] = 1
    }
  }
  return out
}

/** Precision, recall and F1 of `predicted` against `truth`, over `frames` frames. */
export const score = (
  predicted: ReadonlyArray<Interval>,
  truth: ReadonlyArray<Interval>,
  frames: number,
): Score => {
  const p = labels(predicted, frames)
  const t = labels(truth, frames)
  let tp = 0
  let fp = 0
  let fn = 0
  for (let i = 0; i < frames; i++) {
    if (p[i] && t[i]) tp++
    else if (p[i]) fp++
    else if (t[i]) fn++
  }
  return {
    tp,
    fp,
    fn,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    f1: tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn),
    frames,
  }
}
