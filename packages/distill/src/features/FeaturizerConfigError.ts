import { Data } from "effect"

/** A featurizer config that this build cannot run: the message says which field and why. */
export class FeaturizerConfigError extends Data.TaggedError("FeaturizerConfigError")<{
  readonly message: string
}> {}
