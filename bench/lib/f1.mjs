// Frame-level detection scores against truth intervals: the timeline is cut
// into 32 ms frames; a frame counts as speech when its centre lies inside an
// interval (start inclusive, end exclusive). Intervals are in seconds.

export const FRAME_SEC = 0.032

export const frameCount = (durationSec, frameSec = FRAME_SEC) =>
  Math.floor(durationSec / frameSec + 1e-9)

/** 1 for speech frames, 0 for the others. */
export const labels = (intervals, durationSec, frameSec = FRAME_SEC) => {
  const n = frameCount(durationSec, frameSec)
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const centre = (i + 0.5) * frameSec
    for (const { start, end } of intervals) {
      if (centre >= start && centre < end) {
        out[i] = 1
        break
      }
    }
  }
  return out
}

/** Precision, recall and F1 of `predicted` intervals against `truth`. */
export const score = (truth, predicted, durationSec, frameSec = FRAME_SEC) => {
  const t = labels(truth, durationSec, frameSec)
  const p = labels(predicted, durationSec, frameSec)
  let tp = 0
  let fp = 0
  let fn = 0
  for (let i = 0; i < t.length; i++) {
    if (p[i] && t[i]) tp++
    else if (p[i]) fp++
    else if (t[i]) fn++
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn)
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)
  return { f1, precision, recall, tp, fp, fn, frames: t.length, frameSec }
}
