/**
 * The endpoints, on effect/http's router: `GET /v1/models`,
 * `GET /v1/models/{id}` and `POST /v1/chat/completions`. Each fails with an
 * `ApiError` (or the router's own errors), which `Respond` turns into
 * OpenAI's error shape.
 */
import { ByteSize, Effect } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { ApiError, invalidRequest } from "./ApiError.js"
import * as ChatRequest from "./ChatRequest.js"
import * as Completion from "./Completion.js"
import * as Models from "./Models.js"
import { RequestFacts } from "./RequestFacts.js"
import type { Settings } from "./Settings.js"

/** Every path and the one method it answers, for 405s (HEAD also reaches a GET route). */
export const METHODS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/v1\/models\/?$/, "GET"],
  [/^\/v1\/models\/.+$/, "GET"],
  [/^\/v1\/chat\/completions\/?$/, "POST"],
]

export const tooLarge = (limit: number) =>
  new ApiError({
    status: 413,
    type: "invalid_request_error",
    param: null,
    code: "request_too_large",
    message: `The request body is larger than this server takes (${limit} bytes).`,
  })

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const parseJson = (text: string): unknown | ApiError => {
  try {
    return JSON.parse(text)
  } catch {
    return invalidRequest(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
    )
  }
}

const chatCompletions = (settings: Settings) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    // Refused before reading when the client says how much it sends; otherwise counted as read.
    if (Number(request.headers["content-length"]) > settings.maxBodyBytes) {
      return yield* tooLarge(settings.maxBodyBytes)
    }
    const text = yield* request.text.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(settings.maxBodyBytes)),
    )
    const body = parseJson(text)
    if (body instanceof ApiError) return yield* body
    const facts = yield* RequestFacts
    if (facts !== undefined && isRecord(body)) {
      facts.model = typeof body.model === "string" ? body.model : null
      facts.messages = body.messages ?? null
    }
    const decoded = ChatRequest.decode(body)
    if (decoded instanceof ApiError) return yield* decoded
    const completion = yield* Completion.complete(decoded, settings.models)
    return HttpServerResponse.jsonUnsafe(completion)
  })

/** A path segment decoded, or as sent when it is not valid percent-encoding. */
const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The router's handler for these endpoints (built in the caller's scope). */
export const make = (settings: Settings) => {
  const createdAt = Math.floor(Date.now() / 1000)
  return HttpRouter.toHttpEffect(
    HttpRouter.addAll([
      // One wildcard route answers both: the router adds "/v1/models" for "/v1/models/*", and
      // a wildcard, unlike `:id`, also finds ids with slashes ("org/model").
      HttpRouter.route(
        "GET",
        "/v1/models/*",
        Effect.gen(function* () {
          const id = decoded((yield* HttpRouter.params)["*"] ?? "")
          if (id === "") {
            return HttpServerResponse.jsonUnsafe(Models.list(settings.models.values(), createdAt))
          }
          const model = settings.models.get(id)
          if (model === undefined) return yield* Models.notFound(id)
          return HttpServerResponse.jsonUnsafe(Models.describe(model, createdAt))
        }),
      ),
      HttpRouter.route("POST", "/v1/chat/completions", chatCompletions(settings)),
    ]),
  )
}
