import { Data } from "effect"

/** What the wake-word detector refuses. */
export type WakeWordProblem =
  /** A sample that is NaN or infinite. */
  | "invalid-samples"
  /** A chunk's `at` that is not a finite number of seconds. */
  | "invalid-time"
  /** A model whose inputs or outputs are not those of the openWakeWord stage it was given for. */
  | "invalid-model"

/** The detector's own failures; engine and model-loading failures keep core's errors. */
export class WakeWordError extends Data.TaggedError("WakeWordError")<{
  readonly message: string
  readonly problem: WakeWordProblem
}> {}
