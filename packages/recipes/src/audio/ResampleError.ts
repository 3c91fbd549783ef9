import { Data } from "effect"

/** The resampler could not start (its wasm failed to load) or was given a rate it cannot take. */
export class ResampleError extends Data.TaggedError("ResampleError")<{
  readonly message: string
}> {}
