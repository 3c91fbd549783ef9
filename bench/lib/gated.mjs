// What the two sides of a worker benchmark compare (Node and browser): the
// gate's result without its audio, small enough to cross to Node.
export const summary = (gated) => ({
  segments: gated.segments,
  frames: gated.probabilities.length,
  bytesIn: gated.bytesIn,
  bytesOut: gated.bytesOut,
})

/** Both sides gave the same segments, frames and bytes. */
export const sameResult = (a, b) =>
  a.bytesIn === b.bytesIn &&
  a.bytesOut === b.bytesOut &&
  a.frames === b.frames &&
  a.segments.length === b.segments.length &&
  a.segments.every((s, i) => s.start === b.segments[i].start && s.end === b.segments[i].end)
