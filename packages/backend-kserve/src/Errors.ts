/** The errors of the KServe backend, each a tagged \`Error\`. */
import { Data } from "effect"

/** The server sent something the protocol does not allow, or a tensor cannot be sent as JSON. */
export class KServeProtocolError extends Data.TaggedError("KServeProtocolError")<{
  readonly message: string
}> {}

/** A request failed: the server answered with an error, or was not reached in time. */
export class KServeRequestError extends Data.TaggedError("KServeRequestError")<{
  readonly message: string
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined
}> {}
