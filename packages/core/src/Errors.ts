/**
 * Tagged errors of the core. Each is a plain `Error` subclass with a `_tag`,
 * so Promise users can `switch (e._tag)` and Effect users can `catchTag`.
 * Every message says what went wrong and what to do about it.
 */
import { Data } from "effect"

/** The message of anything thrown: an Error's own, otherwise its string form. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Input (or output) failed a stage's schema. Raised at pipeline entry, before any work. */
export class InputValidationError extends Data.TaggedError("InputValidationError")<{
  readonly message: string
  readonly stage: string
}> {}

/** A tensor's dims and data disagree, or tensors cannot be stacked or split. */
export class TensorShapeError extends Data.TaggedError("TensorShapeError")<{
  readonly message: string
}> {}

/** A model source could not produce the model's bytes (missing file, HTTP error, hash mismatch). */
export class ModelNotFoundError extends Data.TaggedError("ModelNotFoundError")<{
  readonly message: string
  readonly model: string
}> {}

/** The backend could not create a session from the bytes (not ONNX, unsupported op). */
export class ModelLoadError extends Data.TaggedError("ModelLoadError")<{
  readonly message: string
  readonly model: string
}> {}

/** A session run failed (wrong input names, shapes or dtypes). */
export class InferenceError extends Data.TaggedError("InferenceError")<{
  readonly message: string
  readonly model: string
}> {}

/** The run was cancelled (AbortSignal, `close()`, or interruption). */
export class CancelledError extends Data.TaggedError("CancelledError")<{
  readonly message: string
}> {}

/** A stream was pushed to after `end()`; open a new one. */
export class StreamEndedError extends Data.TaggedError("StreamEndedError")<{
  readonly message: string
}> {}

/** The worker transport failed: the worker died, or a value could not cross the boundary. */
export class WorkerError extends Data.TaggedError("WorkerError")<{
  readonly message: string
}> {}

/** An unexpected defect (a bug), surfaced to Promise users as an Error with this tag. */
export class UnexpectedError extends Data.TaggedError("UnexpectedError")<{
  readonly message: string
}> {}

/**
 * A cloud call failed without an answer: the network failed, or the server
 * answered a status worth asking again (408, 409, 425, 429, 5xx) until the
 * retries ran out. `retryable` is false only for a request that could not
 * be sent at all (a bad URL). `retryAfterMs` is the server's `Retry-After`.
 */
export class CloudRequestError extends Data.TaggedError("CloudRequestError")<{
  readonly message: string
  readonly retryable: boolean
  readonly status?: number | undefined
  readonly retryAfterMs?: number | undefined
  readonly attempts: number
}> {}

/** A cloud call took longer than its timeout (each attempt has one); retryable. */
export class CloudTimeoutError extends Data.TaggedError("CloudTimeoutError")<{
  readonly message: string
  readonly timeoutMs: number
  readonly attempts: number
}> {}

/**
 * The cloud refused the request with a status that asking again will not
 * change (400, 401, 403, 404, 413, 422…): fix the request, key or model.
 * Never retried.
 */
export class CloudRejectedError extends Data.TaggedError("CloudRejectedError")<{
  readonly message: string
  readonly status: number
}> {}

/**
 * The circuit breaker is open after consecutive failures: no request was
 * sent. It lets one probe through after `retryAfterMs`.
 */
export class CloudCircuitOpenError extends Data.TaggedError("CloudCircuitOpenError")<{
  readonly message: string
  readonly retryAfterMs: number
}> {}

/** The cloud answered 2xx with something that is not the expected JSON. Never retried. */
export class CloudAnswerError extends Data.TaggedError("CloudAnswerError")<{
  readonly message: string
}> {}
