import { Data } from "effect"

/** What was given to `Report` is not an evaluation report, or its extras are not usable numbers. */
export class ReportInputError extends Data.TaggedError("ReportInputError")<{
  readonly message: string
}> {}

/** `Report.write` could not write a file (a missing parent, no permission, a full disk). */
export class ReportWriteError extends Data.TaggedError("ReportWriteError")<{
  readonly message: string
  readonly path: string
}> {}
