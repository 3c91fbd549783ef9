/**
 * An error the server answers with, in OpenAI's shape:
 * `{ error: { message, type, param, code } }` with its HTTP status.
 */
import { Data } from "effect"
import { HttpServerResponse } from "effect/http"

export interface Body {
  readonly error: {
    readonly message: string
    readonly type: string
    readonly param: string | null
    readonly code: string | null
  }
}

export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly message: string
  readonly type: string
  readonly param: string | null
  readonly code: string | null
  /** Extra response headers, e.g. `retry-after` or `allow`. */
  readonly headers?: Readonly<Record<string, string>> | undefined
}> {}

/** A 400 `invalid_request_error`, the type of almost every client mistake. */
export const invalidRequest = (
  message: string,
  param: string | null = null,
  code: string | null = null,
): ApiError => new ApiError({ status: 400, message, type: "invalid_request_error", param, code })

export const body = (e: ApiError): Body => ({
  error: { message: e.message, type: e.type, param: e.param, code: e.code },
})

export const toResponse = (e: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(body(e), {
    status: e.status,
    ...(e.headers === undefined ? {} : { headers: e.headers }),
  })
