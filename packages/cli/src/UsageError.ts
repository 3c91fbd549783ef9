/** A problem with the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  readonly _tag = "UsageError"
}

/** A problem with the input file: printed as one line, exit code 2. */
export class InputFileError extends Error {
  readonly _tag = "InputFileError"
}
