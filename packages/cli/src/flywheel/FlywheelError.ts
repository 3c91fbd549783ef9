/**
 * A flywheel run that could not go on, saying what to do: exit code 1, one
 * line. (Sizes the corpus cannot hold and an unusable `--out` are the
 * CLI's `InputError`s, exit code 2.)
 */
export class FlywheelError extends Error {
  readonly _tag = "FlywheelError"
}
