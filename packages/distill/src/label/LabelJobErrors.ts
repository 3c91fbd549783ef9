/** The errors of a labelling job, each a tagged `Error`. */
import { Data } from "effect"

/** The cache file cannot be read or written, or a line in it is not a labelled item. */
export class LabelCacheError extends Data.TaggedError("LabelCacheError")<{
  readonly message: string
  readonly path: string
}> {}

/** The job cannot start (bad options) or cannot go on (the items' source failed). */
export class LabelJobError extends Data.TaggedError("LabelJobError")<{
  readonly message: string
}> {}

/** One item is not `{ id: string, text: string }`; it is reported, and the job goes on. */
export class InvalidItemError extends Data.TaggedError("InvalidItemError")<{
  readonly message: string
  /** Its position among the items, from 0. */
  readonly index: number
}> {}
