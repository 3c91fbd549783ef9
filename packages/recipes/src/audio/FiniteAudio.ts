/**
 * Live chunks checked for what a schema of their types lets through: NaN or
 * infinite samples. One such sample would poison a recurrent model's state
 * for the rest of the stream, so a gate that serves many streams refuses
 * the chunk at its entry, before any stage state has moved, and the stream
 * goes on with its next chunk.
 */
import { Schema } from "effect"
import { AudioChunkSchema, stage as resample } from "./Resample.js"

const allFinite = (samples: Float32Array): boolean => {
  for (let i = 0; i < samples.length; i++) if (!Number.isFinite(samples[i]!)) return false
  return true
}

/** A live chunk whose samples are all finite. */
export const FiniteAudioChunkSchema = AudioChunkSchema.check(
  Schema.makeFilter((chunk: typeof AudioChunkSchema.Type) =>
    allFinite(chunk.samples) ? undefined : "samples must be finite numbers (no NaN or infinity)",
  ),
)

/** The resample stage as a pipeline's entry that also refuses non-finite samples (`InputValidationError`). */
export const resampleStage: typeof resample = Object.assign(
  Object.create(Object.getPrototypeOf(resample)),
  resample,
  { input: FiniteAudioChunkSchema },
)
