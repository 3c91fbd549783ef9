/** A problem with the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  readonly _tag = "UsageError"
}

/** A problem with the input file: printed as one line, exit code 2. */
export class InputFileError extends Error {
  readonly _tag = "InputFileError"
}

/** Input the command cannot use (a model, a server, a dataset's content): one line, exit code 2. */
export class InputError extends Error {
  readonly _tag = "InputError"
}
