/** What can be wrong with a WAV file, and the error that says so. */
import { Data } from "effect"

export type WavProblem =
  /** Not a RIFF/RIFX/RF64 WAVE file, or the input ended before its audio began. */
  | "not-wav"
  /** The header contradicts itself (block size, channel count, chunk sizes, chunk order). */
  | "invalid-header"
  /** A valid WAV in an encoding the gate does not decode (ADPCM, MP3, 12-bit PCM, ...). */
  | "unsupported-format"
  /** A sample rate outside `Audio.MIN_SAMPLE_RATE`..`Audio.MAX_SAMPLE_RATE`. */
  | "unsupported-rate"
  /** Fewer bytes of audio than the header declares. */
  | "truncated"
  /** No samples at all. */
  | "empty"
  /** A float sample that is NaN or infinite. */
  | "invalid-samples"

export class WavDecodeError extends Data.TaggedError("WavDecodeError")<{
  readonly message: string
  readonly problem: WavProblem
}> {}

export const wavError = (problem: WavProblem, message: string): WavDecodeError =>
  new WavDecodeError({ problem, message })
