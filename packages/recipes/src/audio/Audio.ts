/** Mono audio as the voice gate passes it around: float samples in [-1, 1]. */
export interface AudioChunk {
  readonly samples: Float32Array
  readonly sampleRate: number
}

/** The rate Silero VAD (and most speech models) expect. */
export const MODEL_RATE = 16_000

/**
 * The sample rates the voice gate takes, inclusive: from telephone-grade
 * 4 kHz (4× up to the model rate) to 384 kHz studio audio (24× down).
 */
export const MIN_SAMPLE_RATE = 4_000
export const MAX_SAMPLE_RATE = 384_000

/** Whether the gate takes audio at `rate` Hz (a whole number within the range). */
export const isSupportedRate = (rate: number): boolean =>
  Number.isInteger(rate) && rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE

/** The range, as error messages name it. */
export const SUPPORTED_RATES = `${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`

export const concatFloat32 = (a: Float32Array, b: Float32Array): Float32Array => {
  if (b.length === 0) return a
  if (a.length === 0) return b
  const out = new Float32Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/**
 * Joins two chunks of one stream. An empty chunk adds nothing; its rate is
 * used only when the other chunk has none yet (a decoder's chunks before it
 * has read the rate say 0).
 */
export const concatChunks = (a: AudioChunk, b: AudioChunk): AudioChunk => ({
  samples: concatFloat32(a.samples, b.samples),
  sampleRate: a.sampleRate !== 0 ? a.sampleRate : b.sampleRate,
})

/**
 * Float samples to 16-bit PCM: scaled by 32768, rounded to nearest (ties
 * up), clipped to [-32768, 32767]; NaN becomes 0. The exact inverse of how
 * the gate decodes 16-bit WAV (k / 32768), so 16-bit audio leaves the gate
 * sample for sample as it came in. Written into `out` when given.
 */
export const toPcm16 = (
  samples: Float32Array,
  out: Int16Array = new Int16Array(samples.length),
): Int16Array => {
  // This runs on every kept sample: one range test that is almost always
  // true, and rounding by truncating a shifted positive value.
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]! * 32768
    out[i] =
      x < 32767 && x > -32768
        ? ((x + 32768.5) | 0) - 32768
        : x >= 32767
          ? 32767
          : x <= -32768
            ? -32768
            : 0
  }
  return out
}
