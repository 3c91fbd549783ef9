/**
 * The endpoints, on effect/http's router: `GET /v1/models`,
 * `GET /v1/models/{id}`, `POST /v1/chat/completions` and
 * `POST /v1/audio/transcriptions`. Each fails with an
 * `ApiError` (or the router's own errors), which `Respond` turns into
 * OpenAI's error shape.
 */
import { ByteSize, Effect } from "effect"
import {
  HttpIncomingMessage,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse,
} from "effect/http"
import { ApiError, invalidRequest } from "./ApiError.js"
import * as AudioInput from "./AudioInput.js"
import * as ChatRequest from "./ChatRequest.js"
import * as Completion from "./Completion.js"
import * as Models from "./Models.js"
import { RequestFacts } from "./RequestFacts.js"
import type { Settings } from "./Settings.js"
import * as Transcription from "./Transcription.js"

/** Every path and the one method it answers, for 405s (HEAD also reaches a GET route). */
export const METHODS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/v1\/models\/?$/, "GET"],
  [/^\/v1\/models\/.+$/, "GET"],
  [/^\/v1\/chat\/completions\/?$/, "POST"],
  [/^\/v1\/audio\/transcriptions\/?$/, "POST"],
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
    const transcriber = settings.transcribers.get(decoded.model)
    if (transcriber !== undefined) return yield* wrongKind(transcriber.id, "chat", settings)
    const completion = yield* Completion.complete(decoded, settings.models)
    return HttpServerResponse.jsonUnsafe(completion)
  })

/** A model of the other kind named: a 400 that says where it belongs and what this endpoint serves. */
const wrongKind = (id: string, wanted: "chat" | "transcription", settings: Settings) => {
  const served = [...(wanted === "chat" ? settings.models : settings.transcribers).keys()]
  const endpoint = wanted === "chat" ? "/v1/audio/transcriptions" : "/v1/chat/completions"
  return invalidRequest(
    `The model \`${id}\` is not a ${wanted} model: use it with ${endpoint}. ${
      served.length === 0
        ? `This server serves no ${wanted} models.`
        : `This server's ${wanted} models: ${served.join(", ")}.`
    }`,
    "model",
    "invalid_value",
  )
}

const isBodyTooLarge = (e: unknown) =>
  HttpServerError.isHttpServerError(e) &&
  e.reason._tag === "RequestParseError" &&
  e.reason.reason === "BodyTooLarge"

const transcriptions = (settings: Settings) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const limit = settings.maxAudioBytes
    if (Number(request.headers["content-length"]) > limit) return yield* tooLarge(limit)
    const body = yield* request.arrayBuffer.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(limit)),
      // Answered here: the error layer's 413 names the JSON body limit.
      Effect.catchIf(isBodyTooLarge, () => Effect.fail(tooLarge(limit))),
    )
    const form = yield* Transcription.readForm(body, request.headers["content-type"])
    const facts = yield* RequestFacts
    const model = form.get("model")
    if (facts !== undefined && typeof model === "string") facts.model = model
    const decoded = Transcription.decode(form)
    if (decoded instanceof ApiError) return yield* decoded
    const transcriber = settings.transcribers.get(decoded.model)
    if (transcriber === undefined) {
      return yield* settings.models.has(decoded.model)
        ? wrongKind(decoded.model, "transcription", settings)
        : Models.notFound(decoded.model)
    }
    const refused = Transcription.checkLanguage(decoded, transcriber)
    if (refused !== undefined) return yield* refused
    const bytes = new Uint8Array(yield* Effect.promise(() => decoded.file.arrayBuffer()))
    const logged = {
      filename: decoded.file.name === "" ? null : decoded.file.name,
      bytes: bytes.length,
      sampleRate: null,
      channels: null,
      seconds: null,
      language: decoded.language ?? null,
      prompt: decoded.prompt ?? null,
      text: null,
    }
    if (facts !== undefined) facts.transcription = logged
    const audio = yield* AudioInput.decode(bytes)
    const described = {
      ...logged,
      sampleRate: audio.sampleRate,
      channels: audio.channels,
      seconds: Math.round(audio.seconds * 1000) / 1000,
    }
    if (facts !== undefined) facts.transcription = described
    const transcript = yield* Transcription.transcribe(transcriber, decoded, audio)
    if (facts !== undefined) facts.transcription = { ...described, text: transcript.text }
    return Transcription.respond(decoded, audio, transcript)
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
            return HttpServerResponse.jsonUnsafe(
              Models.list(
                [...settings.models.values(), ...settings.transcribers.values()],
                createdAt,
              ),
            )
          }
          const model = settings.models.get(id) ?? settings.transcribers.get(id)
          if (model === undefined) return yield* Models.notFound(id)
          return HttpServerResponse.jsonUnsafe(Models.describe(model, createdAt))
        }),
      ),
      HttpRouter.route("POST", "/v1/chat/completions", chatCompletions(settings)),
      HttpRouter.route("POST", "/v1/audio/transcriptions", transcriptions(settings)),
    ]),
  )
}
