/**
 * A recording as the page draws it: decoded on the page (the recipes' own WAV
 * decoder, so a bad file is refused here with the same message the worker
 * would give) and reduced to a min/max envelope per column.
 */
import { WavDecode } from "@edgeline/recipes"
import { Effect } from "effect"

export interface Envelope {
  readonly seconds: number
  /** Per column, the lowest and highest sample in [-1, 1]. */
  readonly min: Float32Array
  readonly max: Float32Array
}

export const COLUMNS = 800

const envelope = (samples: Float32Array, sampleRate: number): Envelope => {
  const min = new Float32Array(COLUMNS)
  const max = new Float32Array(COLUMNS)
  const per = samples.length / COLUMNS
  for (let c = 0; c < COLUMNS; c++) {
    let lo = 0
    let hi = 0
    const end = Math.min(samples.length, Math.ceil((c + 1) * per))
    for (let i = Math.floor(c * per); i < end; i++) {
      const s = samples[i]!
      if (s < lo) lo = s
      if (s > hi) hi = s
    }
    min[c] = lo
    max[c] = hi
  }
  return { seconds: samples.length / sampleRate, min, max }
}

/** The WAV's envelope, or what is wrong with the file and what to do. */
export const decode = (bytes: Uint8Array): Promise<Envelope | { readonly problem: string }> =>
  Effect.runPromise(
    WavDecode.decode(bytes).pipe(
      Effect.match({
        onFailure: (error) => ({ problem: error.message }),
        onSuccess: (chunk) => envelope(chunk.samples, chunk.sampleRate),
      }),
    ),
  )
