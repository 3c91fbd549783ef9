// Comparing two gates' segments, as the native benchmarks report them.
import { FrameScore } from "@edgeline/recipes"

/** Segments of `b` that `a` has too, both boundaries within `frames` frames (float seconds, hence the epsilon). */
export const sharedSegments = (a, b, frames) => {
  const near = (x, y) => Math.abs(x - y) <= frames * FrameScore.FRAME_SEC + 1e-9
  return b.filter((t) => a.some((s) => near(s.start, t.start) && near(s.end, t.end))).length
}
