import { Data } from "effect"

/** A dataset file that cannot be read as records: the message names the file, the line and the problem. */
export class DataError extends Data.TaggedError("DataError")<{
  readonly path: string
  /** 1-based; 0 when the file itself could not be opened. */
  readonly line: number
  readonly message: string
}> {}
