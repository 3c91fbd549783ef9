/**
 * Cross-origin access, for browsers calling the cloud tier directly (a web
 * app or a Web Worker on another origin). Off by default: a loopback server
 * answering any page's scripts is a choice. Preflights (`OPTIONS`) are
 * answered without auth, as browsers send them without credentials.
 */
import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"

/** `true`: any origin; a list: only those origins. */
export type Options = boolean | { readonly origins: ReadonlyArray<string> }

type App<E, R> = Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>

/** Headers a browser may read besides the CORS-safelisted ones: clients back off by Retry-After. */
const EXPOSED_HEADERS = "retry-after"

const ALLOWED_HEADERS =
  "authorization, content-type, openai-organization, openai-project, x-stainless-*"

export const make =
  (options: Options | undefined) =>
  <E, R>(app: App<E, R>): App<E, R | HttpServerRequest.HttpServerRequest> => {
    if (options === undefined || options === false) return app
    return Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const origin = request.headers.origin
      const allowed =
        options === true
          ? "*"
          : origin !== undefined && options.origins.includes(origin)
            ? origin
            : undefined
      const headers: Record<string, string> =
        allowed === undefined
          ? {}
          : {
              "access-control-allow-origin": allowed,
              "access-control-expose-headers": EXPOSED_HEADERS,
              ...(allowed === "*" ? {} : { vary: "Origin" }),
            }
      if (request.method === "OPTIONS") {
        return HttpServerResponse.empty({ status: 204 }).pipe(
          HttpServerResponse.setHeaders({
            ...headers,
            "access-control-allow-methods": "GET, POST, OPTIONS",
            "access-control-allow-headers":
              request.headers["access-control-request-headers"] ?? ALLOWED_HEADERS,
            "access-control-max-age": "600",
          }),
        )
      }
      const response = yield* app
      return HttpServerResponse.setHeaders(response, headers)
    })
  }
