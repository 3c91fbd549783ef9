// What the two sides of the worker benchmark compare: the gate's result
// without its audio, small enough to cross to Node.
export const summary = (gated) => ({
  segments: gated.segments,
  frames: gated.probabilities.length,
  bytesIn: gated.bytesIn,
  bytesOut: gated.bytesOut,
})
