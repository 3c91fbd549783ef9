/**
 * The reference OpenAI-compatible cloud tier: a small HTTP server that
 * answers `GET /v1/models`, `GET /v1/models/{id}`,
 * `POST /v1/chat/completions` and `POST /v1/audio/transcriptions` in
 * OpenAI's shapes, with a text classifier standing in for the large model
 * and a speech recogniser (PocketSphinx) standing in for Whisper. It is for
 * offline development and tests of the edge↔cloud loop; real deployments
 * point the edge at OpenAI, vLLM, Ollama or a llama.cpp server.
 *
 * In front of the endpoints, in order: the request log, OpenAI-shaped
 * errors, bearer auth (off when no key is configured, said at start), and a
 * limit on requests in flight (over it, 429 at once with `Retry-After`).
 *
 * @example
 * ```ts
 * import { CloudServer } from "@edgeline/cloud-server"
 *
 * const server = await CloudServer.start({ models: [myClassifier], apiKeys: ["dev-key"] })
 * console.log(server.url) // http://127.0.0.1:39127
 * await server.close()
 * ```
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Effect, Exit, Latch, Logger, Option, Scope, Semaphore } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import type { ChatClassifier } from "./ChatClassifier.js"
import { CloudServerOptionsError, CloudServerStartError } from "./Errors.js"
import { ApiError } from "./internal/ApiError.js"
import * as BearerAuth from "./internal/BearerAuth.js"
import * as Cors from "./internal/Cors.js"
import { type Facts, RequestFacts } from "./internal/RequestFacts.js"
import * as RequestLogWriter from "./internal/RequestLogWriter.js"
import * as Respond from "./internal/Respond.js"
import * as Routes from "./internal/Routes.js"
import * as Settings from "./internal/Settings.js"
import type * as RequestLog from "./RequestLog.js"
import type { Transcriber } from "./Transcriber.js"

export interface Options {
  /** The chat models it serves (`POST /v1/chat/completions`), by `id`. */
  readonly models?: ReadonlyArray<ChatClassifier> | undefined
  /**
   * The speech recognisers it serves (`POST /v1/audio/transcriptions`), by
   * `id`. At least one model or transcriber in all; ids are unique across both.
   */
  readonly transcribers?: ReadonlyArray<Transcriber> | undefined
  /** The port; 0 (the default) takes any free one. */
  readonly port?: number | undefined
  /** The address to listen on (default `127.0.0.1`, loopback only). */
  readonly host?: string | undefined
  /** Keys accepted as `Authorization: Bearer <key>`. None (the default): auth is off. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** Largest JSON request body in bytes (default 1 MiB); larger gets a 413. */
  readonly maxBodyBytes?: number | undefined
  /** Largest transcription upload (the whole multipart body) in bytes (default 25 MiB, OpenAI's limit); larger gets a 413. */
  readonly maxAudioBytes?: number | undefined
  /** Most requests in flight at once (default 16); more get a 429 with `Retry-After`. */
  readonly maxConcurrent?: number | undefined
  /** Where each request is logged: a JSONL file and/or a callback. */
  readonly requestLog?: RequestLog.Options | undefined
  /**
   * Lets browsers on other origins call it (`true`: any origin; or a list of
   * origins). Off by default. Preflights are answered without auth.
   */
  readonly cors?: Cors.Options | undefined
}

export interface Running {
  /** The base URL, e.g. `http://127.0.0.1:39127`; clients add `/v1`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Whether requests must carry one of the API keys. */
  readonly auth: boolean
}

export interface Server extends Running {
  /** Stops listening, ends requests in flight, closes the log; the port is free again after it. */
  readonly close: () => Promise<void>
}

/** Seconds a client is told to wait when the server is full: a triage answer takes milliseconds. */
const RETRY_AFTER_SECONDS = 1

type App<E, R> = Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>

const authenticated =
  (keys: ReadonlyArray<string>) =>
  <E, R>(app: App<E, R>): App<E | ApiError, R | HttpServerRequest.HttpServerRequest> => {
    if (keys.length === 0) return app
    const check = BearerAuth.make(keys)
    return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request): App<E | ApiError, R> => {
      const refused = check(request.headers.authorization)
      return refused === undefined ? app : Effect.fail(refused)
    })
  }

const limited =
  (semaphore: Semaphore.Semaphore, max: number) =>
  <E, R>(app: App<E, R>): App<E | ApiError, R> =>
    app.pipe(
      Semaphore.withPermitsIfAvailable(semaphore, 1),
      Effect.flatMap(
        Option.match({
          onSome: Effect.succeed,
          onNone: () =>
            Effect.fail(
              new ApiError({
                status: 429,
                type: "requests",
                param: null,
                code: "rate_limit_exceeded",
                message: `Too many requests in flight (this server takes ${max} at once). Please try again in ${RETRY_AFTER_SECONDS}s.`,
                headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
              }),
            ),
        }),
      ),
    )

/** When the server closes, requests still running are answered at once with a 503. */
const closable =
  (closing: Latch.Latch) =>
  <E, R>(app: App<E, R>): App<E | ApiError, R> =>
    Effect.raceFirst(
      app,
      Latch.await(closing).pipe(
        Effect.andThen(
          Effect.fail(
            new ApiError({
              status: 503,
              type: "server_error",
              param: null,
              code: null,
              message: "The server is shutting down. Please try again later.",
              // Node's close waits for open connections: this one ends with its answer.
              headers: { connection: "close" },
            }),
          ),
        ),
      ),
    )

const logged =
  (write: RequestLogWriter.Write) =>
  <E, R>(app: App<E, R>): App<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const facts: Facts = { model: null, messages: null, transcription: null, error: null }
      const time = new Date().toISOString()
      const started = performance.now()
      const entry = (status: number) => ({
        time,
        method: request.method,
        path: request.url.split("?")[0]!,
        status,
        model: facts.model,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        messages: facts.messages,
        transcription: facts.transcription,
        error: facts.error,
      })
      const response = yield* app.pipe(
        Effect.provideService(RequestFacts, facts),
        // 499: nginx's "client closed request", for a request whose client left before its answer.
        Effect.onInterrupt(() => write(entry(499))),
      )
      yield* write(entry(response.status))
      return response
    })

const urlOf = (host: string, port: number) =>
  `http://${host.includes(":") ? `[${host}]` : host}:${port}`

/**
 * Serves until the scope closes: the Effect API. Fails with a
 * `CloudServerOptionsError` for options it cannot serve, or a
 * `CloudServerStartError` when it cannot listen or open the request log.
 */
export const serve = (
  options: Options,
): Effect.Effect<Running, CloudServerOptionsError | CloudServerStartError, Scope.Scope> =>
  Effect.gen(function* () {
    const settings = Settings.check(options)
    if (settings instanceof CloudServerOptionsError) return yield* settings
    const write = yield* RequestLogWriter.make(options.requestLog)
    const routes = yield* Routes.make(settings)
    const semaphore = yield* Semaphore.make(settings.maxConcurrent)
    const closing = yield* Latch.make()
    const app = routes.pipe(
      closable(closing),
      limited(semaphore, settings.maxConcurrent),
      authenticated(settings.apiKeys),
      Respond.errors(settings.maxBodyBytes),
      Cors.make(options.cors),
      logged(write),
    )
    const server = yield* NodeHttpServer.make(() => createServer(), {
      port: settings.port,
      host: settings.host,
    }).pipe(
      Effect.mapError(
        (e) =>
          new CloudServerStartError({
            message: `cannot listen on ${settings.host}:${settings.port}: ${(e.cause as Error)?.message ?? e.message}`,
            cause: e.cause,
          }),
      ),
    )
    yield* server.serve(app)
    // Added after the server's own finalizers, so it runs before them: requests in flight are
    // answered before the server waits for its connections to end.
    yield* Effect.addFinalizer(() => Latch.open(closing))
    const port = "port" in server.address ? server.address.port : settings.port
    const auth = settings.apiKeys.length > 0
    if (!auth) {
      yield* Effect.logWarning(
        "auth is off: no API key is configured, so every request is served without one",
      )
    }
    return { url: urlOf(settings.host, port), host: settings.host, port, auth }
  })

/**
 * Starts a server: the Promise API. Rejects with a `CloudServerOptionsError`
 * or `CloudServerStartError`. Its warnings are logged to stderr.
 */
export const start = async (options: Options): Promise<Server> => {
  const scope = Effect.runSync(Scope.make())
  // Logs (the auth warning, failures) go to stderr: stdout is the caller's.
  const exit = await Effect.runPromiseExit(
    serve(options).pipe(Scope.provide(scope), Effect.provideService(Logger.LogToStderr, true)),
  )
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    throw Cause.squash(exit.cause)
  }
  let closing: Promise<void> | undefined
  return {
    ...exit.value,
    close: () => {
      closing ??= Effect.runPromise(Scope.close(scope, Exit.void))
      return closing
    },
  }
}
