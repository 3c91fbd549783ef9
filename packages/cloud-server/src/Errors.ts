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
