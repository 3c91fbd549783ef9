/** The errors of starting a cloud server, each a tagged `Error`. */
import { Data } from "effect"

/** The options cannot make a server: the message names the option and what it must be. */
export class CloudServerOptionsError extends Data.TaggedError("CloudServerOptionsError")<{
  readonly message: string
}> {}

/** The server could not listen, e.g. the port is taken (`EADDRINUSE`). */
export class CloudServerStartError extends Data.TaggedError("CloudServerStartError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * PocketSphinx cannot run here: `pocketsphinx_continuous` is not on the
 * PATH, or its English model is missing. The message says what to install
 * (Debian: `apt-get install pocketsphinx pocketsphinx-en-us`).
 */
export class PocketSphinxMissingError extends Data.TaggedError("PocketSphinxMissingError")<{
  readonly message: string
  readonly cause?: unknown
}> {}
