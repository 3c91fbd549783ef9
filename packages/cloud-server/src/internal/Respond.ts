/**
 * Every way a request can fail, answered in OpenAI's error shape with the
 * right status: our own `ApiError`s as they are, the router's "no route"
 * as 404 (or 405 with `Allow` when the path exists for another method), a
 * body over the limit as 413, anything unexpected as 500.
 */
import { Cause, Effect } from "effect"
import { HttpServerError, HttpServerRequest, type HttpServerResponse } from "effect/http"
import { ApiError, invalidRequest, toResponse } from "./ApiError.js"
import { RequestFacts } from "./RequestFacts.js"
import { METHODS, tooLarge } from "./Routes.js"

const noRoute = (method: string, url: string): ApiError => {
  const path = url.split("?")[0]!
  const allowed = METHODS.find(([pattern]) => pattern.test(path))?.[1]
  if (allowed === undefined) {
    return new ApiError({
      status: 404,
      type: "invalid_request_error",
      param: null,
      code: null,
      message: `Invalid URL (${method} ${path})`,
    })
  }
  return new ApiError({
    status: 405,
    type: "invalid_request_error",
    param: null,
    code: null,
    message: `Invalid method for URL (${method} ${path}): use ${allowed}`,
    headers: { allow: allowed },
  })
}

const serverError = new ApiError({
  status: 500,
  type: "server_error",
  param: null,
  code: null,
  message: "The server had an error while processing your request. Sorry about that!",
})

const apiErrorOf = (
  error: unknown,
  request: HttpServerRequest.HttpServerRequest,
  limit: number,
) => {
  if (error instanceof ApiError) return error
  if (HttpServerError.isHttpServerError(error)) {
    const reason = error.reason
    if (reason._tag === "RouteNotFound") return noRoute(request.method, request.url)
    if (reason._tag === "RequestParseError") {
      return reason.reason === "BodyTooLarge"
        ? tooLarge(limit)
        : invalidRequest("We could not read the body of your request.")
    }
  }
  return undefined
}

/** `app` with every failure and defect answered in OpenAI's shape. */
export const errors =
  (maxBodyBytes: number) =>
  <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const facts = yield* RequestFacts
      return yield* app.pipe(
        Effect.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
          const failure = cause.reasons.find(Cause.isFailReason)
          const known = failure && apiErrorOf(failure.error, request, maxBodyBytes)
          const error = known ?? serverError
          if (facts !== undefined) facts.error = error.message
          return (
            known === undefined
              ? Effect.logError("request failed unexpectedly", cause)
              : Effect.void
          ).pipe(Effect.as(toResponse(error)))
        }),
      )
    })
