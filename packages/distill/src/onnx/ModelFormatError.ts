import { Data } from "effect"

/** Bytes that are not a classifier this package can read: the message says what is wrong. */
export class ModelFormatError extends Data.TaggedError("ModelFormatError")<{
  readonly message: string
}> {}
