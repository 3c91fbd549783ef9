import { Data } from "effect"

/** Training data that does not fit the network: the message names the example and the problem. */
export class TrainingError extends Data.TaggedError("TrainingError")<{
  readonly message: string
}> {}
