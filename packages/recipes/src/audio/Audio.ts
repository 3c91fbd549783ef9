/** Mono audio as the voice gate passes it around: float samples in [-1, 1]. */
export interface AudioChunk {
  readonly samples: Float32Array
  readonly sampleRate: number
}

/** The rate Silero VAD (and most speech models) expect. */
export const MODEL_RATE = 16_000

export const concatFloat32 = (a: Float32Array, b: Float32Array): Float32Array => {
  if (b.length === 0) return a
  if (a.length === 0) return b
  const out = new Float32Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Float samples to 16-bit PCM, clipped and rounded; written into `out` when given. */
export const toPcm16 = (
  samples: Float32Array,
  out: Int16Array = new Int16Array(samples.length),
): Int16Array => {
  // Branches and `| 0` instead of Math.min/max/round: this runs on every kept sample.
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!
    out[i] =
      s >= 0 ? (s >= 1 ? 32767 : (s * 32767 + 0.5) | 0) : s <= -1 ? -32768 : (s * 32768 - 0.5) | 0
  }
  return out
}
