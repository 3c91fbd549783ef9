/**
 * A `CloudModel` for any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama,
 * llama.cpp, LiteLLM, Edgeline's cloud-server): `POST /chat/completions`
 * and `POST /audio/transcriptions` under `baseUrl`, over `effect/http`'s
 * `HttpClient` on `fetch`, so the same client runs in a browser worker and
 * in Node.
 *
 * Around every call, from the inside out:
 * - a **timeout** per attempt (`timeoutMs`, default 30 s), body included;
 * - **retries** (`retries`, default 3 attempts) of network errors, timeouts
 *   and 408/409/425/429/5xx, with exponential backoff and jitter, never
 *   sooner than the server's `Retry-After` (seconds, HTTP date, or OpenAI's
 *   `retry-after-ms`); a `Retry-After` beyond `maxDelayMs` ends the retries.
 *   Other 4xx are never retried;
 * - a **circuit breaker** (`effect/persistence`'s `CircuitBreaker`): after
 *   `failures` calls in a row fail (default 5), calls fail at once with
 *   `CloudCircuitOpenError` for `cooldownMs` (default 30 s, longer if the
 *   last answer's `Retry-After` says so), then one probe call goes through
 *   and closes it again if it succeeds. A 4xx is the server answering, so it
 *   does not count as a failure;
 * - **accounting**: tokens and dollars (`pricing`) on every answer and in
 *   the running `usage` totals.
 *
 * For Promise users, `createClient(options)` gives the same client with
 * `await client.chat(...)`.
 *
 * @example
 * ```ts
 * import { OpenAiCloudModel } from "@edgeline/core"
 *
 * const cloud = await OpenAiCloudModel.createClient({
 *   baseUrl: "https://api.openai.com/v1",
 *   apiKey: "sk-...",
 *   model: "gpt-4o-mini",
 *   pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
 * })
 * const reply = await cloud.chat({ messages: [{ role: "user", content: "Is this spam? WIN A CRUISE" }] })
 * console.log(reply.content, reply.usage, cloud.usage().costUsd)
 * await cloud.close()
 * ```
 */
import {
  Clock,
  Duration,
  Effect,
  Exit,
  type Fiber,
  Layer,
  ManagedRuntime,
  Option,
  Result,
  Schedule,
  Schema,
  type Scope,
} from "effect"
import {
  FetchHttpClient,
  HttpBody,
  HttpClient,
  type HttpClientError,
  HttpClientRequest,
} from "effect/http"
import { CircuitBreaker } from "effect/persistence"
import * as CloudModel from "./CloudModel.js"
import {
  CancelledError,
  CloudAnswerError,
  CloudCircuitOpenError,
  CloudRejectedError,
  CloudRequestError,
  CloudTimeoutError,
} from "./Errors.js"
import { toError, withSignal } from "./internal/calls.js"
import type { AbortSignalLike } from "./Runner.js"

export interface RetryOptions {
  /** Attempts per call, the first included (default 3; 1 turns retries off). */
  readonly maxAttempts?: number | undefined
  /** The first backoff; each next one doubles, with jitter (default 500 ms). */
  readonly baseDelayMs?: number | undefined
  /**
   * The longest wait between attempts (default 20 000 ms). A server that asks
   * for a longer `Retry-After` is not retried: the call fails with its
   * `retryAfterMs`, for the caller (or the circuit) to honour.
   */
  readonly maxDelayMs?: number | undefined
}

export interface CircuitOptions {
  /** Calls failing in a row that open the circuit (default 5). */
  readonly failures?: number | undefined
  /** How long it stays open before a probe call may try (default 30 000 ms). */
  readonly cooldownMs?: number | undefined
}

export interface Options {
  /** The API's base URL as the OpenAI SDK takes it, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined
  /** The chat model, unless a request names another. */
  readonly model: string
  /** The transcription model, unless a request names another (default `whisper-1`). */
  readonly transcriptionModel?: string | undefined
  /** Longest one attempt may take, its answer's body included (default 30 000 ms). */
  readonly timeoutMs?: number | undefined
  /** Retry policy, or `false` for one attempt per call. */
  readonly retries?: RetryOptions | false | undefined
  /** Circuit breaker policy, or `false` for none. */
  readonly circuitBreaker?: CircuitOptions | false | undefined
  /** Dollars per million tokens (and per audio minute), for `costUsd`. */
  readonly pricing?: CloudModel.Pricing | undefined
  /** Sent with every request (an organisation header, a proxy's key). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** What the endpoint supports, where it differs from OpenAI's (e.g. `{ logprobs: false }`). */
  readonly capabilities?: Partial<CloudModel.Capabilities> | undefined
  /** The provider name the model reports (default `openai-compatible`). */
  readonly provider?: string | undefined
  /**
   * Send the request's trace context (`traceparent`, `b3` headers). Off by
   * default: a browser's CORS preflight fails unless the server allows those
   * headers, and a third-party API has no use for your trace ids.
   */
  readonly tracePropagation?: boolean | undefined
}

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_TRANSCRIPTION_MODEL = "whisper-1"

/** Statuses that may go away when asked again: timeout, conflict, too early, too many, server errors. */
export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 409 || status === 425 || status === 429 || status >= 500

/**
 * How long a server asked us to wait, from response headers (lower-case
 * names): OpenAI's `retry-after-ms`, else `Retry-After` in seconds or as an
 * HTTP date (relative to `now`). `undefined` when it did not say, or said
 * nonsense.
 */
export const retryAfterMs = (
  headers: Readonly<Record<string, string | undefined>>,
  now: number,
): number | undefined => {
  const ms = headers["retry-after-ms"]?.trim()
  if (ms !== undefined && ms !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) {
    return Number(ms)
  }
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

// ---------------------------------------------------------------------------
// Wire shapes, checked with Schema: anything else is a CloudAnswerError.

const TopLogprob = Schema.Struct({ token: Schema.String, logprob: Schema.Number })

const Completion = Schema.Struct({
  model: Schema.optional(Schema.NullOr(Schema.String)),
  choices: Schema.NonEmptyArray(
    Schema.Struct({
      message: Schema.Struct({
        content: Schema.optional(Schema.NullOr(Schema.String)),
        refusal: Schema.optional(Schema.NullOr(Schema.String)),
      }),
      finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
      logprobs: Schema.optional(
        Schema.NullOr(
          Schema.Struct({
            content: Schema.optional(
              Schema.NullOr(
                Schema.Array(
                  Schema.Struct({
                    token: Schema.String,
                    logprob: Schema.Number,
                    top_logprobs: Schema.optional(Schema.NullOr(Schema.Array(TopLogprob))),
                  }),
                ),
              ),
            ),
          }),
        ),
      ),
    }),
  ),
  usage: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        prompt_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
        completion_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
      }),
    ),
  ),
})

const Transcription = Schema.Struct({
  text: Schema.String,
  language: Schema.optional(Schema.NullOr(Schema.String)),
  duration: Schema.optional(Schema.NullOr(Schema.Number)),
  usage: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        type: Schema.optional(Schema.String),
        input_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
        output_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
        seconds: Schema.optional(Schema.NullOr(Schema.Number)),
      }),
    ),
  ),
})

const decodeCompletion = Schema.decodeUnknownResult(Completion)
const decodeTranscription = Schema.decodeUnknownResult(Transcription)

/** A 2xx body as `what`, or the CloudAnswerError saying why it is not. */
const parseAnswer = <A>(
  body: string,
  what: string,
  decode: (json: unknown) => Result.Result<A, { readonly message: string }>,
): Effect.Effect<A, CloudAnswerError> => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return Effect.fail(
      new CloudAnswerError({ message: `the answer is not JSON: ${excerpt(body)}` }),
    )
  }
  const decoded = decode(json)
  return Result.isSuccess(decoded)
    ? Effect.succeed(decoded.success)
    : Effect.fail(
        new CloudAnswerError({
          message: `the answer is not ${what} (${decoded.failure.message.replace(/\s+/g, " ")})`,
        }),
      )
}

/** The start of a body, for messages. */
const excerpt = (body: string): string => {
  const flat = body.replace(/\s+/g, " ").trim()
  return flat === "" ? "(empty body)" : flat.length > 200 ? `${flat.slice(0, 197)}...` : flat
}

/** The message of an OpenAI-style error body (`{ "error": { "message" } }`), else its start. */
const errorMessage = (body: string): string => {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown }
    const error = json?.error
    if (typeof error === "string") return error
    if (typeof (error as { message?: unknown })?.message === "string") {
      return (error as { message: string }).message
    }
    if (typeof json?.message === "string") return json.message
    if (typeof json?.detail === "string") return json.detail
  } catch {}
  return excerpt(body)
}

// ---------------------------------------------------------------------------
// multipart/form-data, built by hand: core compiles without DOM types, so it
// cannot name FormData or Blob, and the bytes are the same on every platform.

const utf8 = (text: string): Uint8Array => HttpBody.text(text).body

const MIME: Readonly<Record<string, string>> = {
  wav: "audio/wav",
  mp3: "audio/mpeg",
  mpga: "audio/mpeg",
  mpeg: "audio/mpeg",
  m4a: "audio/mp4",
  mp4: "audio/mp4",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  webm: "audio/webm",
  flac: "audio/flac",
}

/** A header-safe quoted value: no quotes or line breaks can end it early. */
const quoted = (value: string): string => `"${value.replace(/["\r\n\\]/g, "_")}"`

const multipart = (
  fields: ReadonlyArray<readonly [string, string]>,
  file: { readonly name: string; readonly filename: string; readonly bytes: Uint8Array },
): { readonly body: Uint8Array; readonly contentType: string } => {
  let boundary = ""
  for (let i = 0; i < 24; i++) boundary += Math.floor(Math.random() * 16).toString(16)
  boundary = `----EdgelineFormBoundary${boundary}`
  const extension = file.filename.split(".").pop()?.toLowerCase() ?? ""
  const parts: Array<Uint8Array> = []
  for (const [name, value] of fields) {
    parts.push(
      utf8(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`,
      ),
    )
  }
  parts.push(
    utf8(
      `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(file.name)}; filename=${quoted(file.filename)}\r\n` +
        `Content-Type: ${MIME[extension] ?? "application/octet-stream"}\r\n\r\n`,
    ),
    file.bytes,
    utf8(`\r\n--${boundary}--\r\n`),
  )
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    body.set(part, offset)
    offset += part.length
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

// ---------------------------------------------------------------------------

const DEFAULT_CAPABILITIES: CloudModel.Capabilities = {
  chat: true,
  transcription: true,
  logprobs: true,
  jsonSchema: true,
}

type MutableTotals = { -readonly [K in keyof CloudModel.Totals]: CloudModel.Totals[K] }

const chatBody = (model: string, request: CloudModel.ChatRequest): Record<string, unknown> => {
  const body: Record<string, unknown> = {
    ...request.extra,
    model: request.model ?? model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
  }
  if (request.temperature !== undefined) body.temperature = request.temperature
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens
  const format = request.responseFormat
  if (format !== undefined) {
    body.response_format =
      format.type === "json_schema"
        ? {
            type: "json_schema",
            json_schema: {
              name: format.name,
              schema: format.schema,
              ...(format.strict === undefined ? {} : { strict: format.strict }),
            },
          }
        : { type: format.type }
  }
  if (request.logprobs === true || request.topLogprobs !== undefined) body.logprobs = true
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs
  return body
}

/**
 * The client as an Effect, over the `HttpClient` in context (`layer` gives
 * it `fetch`'s). Its circuit breaker and totals live as long as the scope.
 */
export const make = (
  options: Options,
): Effect.Effect<CloudModel.Shape, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const base = options.baseUrl.replace(/\/+$/, "")
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const retries = options.retries === false ? { maxAttempts: 1 } : (options.retries ?? {})
    const maxAttempts = Math.max(1, Math.floor(retries.maxAttempts ?? 3))
    const baseDelayMs = retries.baseDelayMs ?? 500
    const maxDelayMs = retries.maxDelayMs ?? 20_000
    const tracePropagation = options.tracePropagation ?? false
    const totals: MutableTotals = {
      requests: 0,
      attempts: 0,
      failures: 0,
      promptTokens: 0,
      completionTokens: 0,
      audioSeconds: 0,
      costUsd: 0,
    }

    const withHeaders = (request: HttpClientRequest.HttpClientRequest) => {
      let r = HttpClientRequest.setHeaders(request, {
        ...options.headers,
        accept: "application/json",
      })
      if (options.apiKey !== undefined) r = HttpClientRequest.bearerToken(r, options.apiKey)
      return r
    }

    const transportFailure = (e: HttpClientError.HttpClientError, attempt: number) => {
      const tag = e.reason._tag
      // Node's fetch says "fetch failed" and puts why (ECONNREFUSED, "bad
      // port") in `cause`: name the innermost cause, its code if it has one.
      const why: Array<string> = []
      let cause = (e.reason as { cause?: unknown }).cause
      for (let depth = 0; depth < 4 && typeof cause === "object" && cause !== null; depth++) {
        const { code, message } = cause as { code?: unknown; message?: unknown }
        why[0] = typeof code === "string" ? code : typeof message === "string" ? message : ""
        cause = (cause as { cause?: unknown }).cause
      }
      const detail = why[0] ? ` (${why[0]})` : ""
      return new CloudRequestError({
        message: `${base}: ${e.message}${detail}`,
        // A request that could not even be built (bad URL, body) fails the same way again.
        retryable: tag !== "InvalidUrlError" && tag !== "EncodeError",
        attempts: attempt,
      })
    }

    /** One attempt: the answer's body on 2xx, else the typed error its status means. */
    const attemptOnce = (
      request: HttpClientRequest.HttpClientRequest,
      attempt: number,
    ): Effect.Effect<string, CloudModel.CloudError> =>
      Effect.gen(function* () {
        totals.attempts++
        const response = yield* http
          .execute(request)
          .pipe(Effect.provideService(HttpClient.TracerPropagationEnabled, tracePropagation))
        const body = yield* response.text
        if (response.status >= 200 && response.status < 300) return body
        const now = yield* Clock.currentTimeMillis
        const wait = retryAfterMs(response.headers, now)
        const what = `${request.url}: HTTP ${response.status}: ${errorMessage(body)}`
        return yield* isRetryableStatus(response.status)
          ? Effect.fail(
              new CloudRequestError({
                message: what,
                retryable: true,
                status: response.status,
                retryAfterMs: wait,
                attempts: attempt,
              }),
            )
          : Effect.fail(new CloudRejectedError({ message: what, status: response.status }))
      }).pipe(
        Effect.catchTag("HttpClientError", (e) => Effect.fail(transportFailure(e, attempt))),
        Effect.timeoutOrElse({
          duration: Duration.millis(timeoutMs),
          orElse: () =>
            Effect.fail(
              new CloudTimeoutError({
                message: `${request.url}: no answer within ${timeoutMs} ms`,
                timeoutMs,
                attempts: attempt,
              }),
            ),
        }),
      )

    const retryWait = (error: unknown): number | undefined =>
      (error as { _tag?: unknown })._tag === "CloudRequestError"
        ? (error as CloudRequestError).retryAfterMs
        : undefined

    const schedule = Schedule.exponential(Duration.millis(baseDelayMs)).pipe(
      Schedule.jittered,
      Schedule.modifyDelay(({ duration, input }) => {
        const capped = Math.min(Duration.toMillis(duration), maxDelayMs)
        return Effect.succeed(Duration.millis(Math.max(capped, retryWait(input) ?? 0)))
      }),
    )

    const shouldRetry = (error: CloudModel.CloudError): boolean =>
      CloudModel.isRetryable(error) &&
      error._tag !== "CloudCircuitOpenError" &&
      (retryWait(error) ?? 0) <= maxDelayMs

    /** Every attempt of one call, with backoff between them. */
    const attempts = (request: HttpClientRequest.HttpClientRequest) => {
      let attempt = 0
      const once = Effect.suspend(() => attemptOnce(request, ++attempt))
      return maxAttempts <= 1
        ? once
        : Effect.retry(once, { schedule, while: shouldRetry, times: maxAttempts - 1 })
    }

    const circuit = options.circuitBreaker === false ? undefined : (options.circuitBreaker ?? {})
    let guard: <A>(
      effect: Effect.Effect<A, CloudModel.CloudError>,
    ) => Effect.Effect<A, CloudModel.CloudError> = (effect) => effect
    if (circuit !== undefined) {
      const cooldownMs = circuit.cooldownMs ?? 30_000
      const store = yield* Layer.build(CircuitBreaker.layerStoreMemory())
      const breaker = yield* CircuitBreaker.make({
        tripPolicy: CircuitBreaker.consecutive(circuit.failures ?? 5),
        openDuration: Duration.millis(cooldownMs),
        maxOpenDuration: Duration.millis(Math.max(cooldownMs, 5 * 60_000)),
      }).pipe(Effect.provideContext(store))
      const classify = (exit: Exit.Exit<unknown, CloudModel.CloudError>) => {
        if (Exit.isSuccess(exit)) return CircuitBreaker.success
        const error = Exit.findErrorOption(exit)
        // A 4xx is the server answering: the request was wrong, not the server down.
        if (Option.isSome(error) && error.value._tag === "CloudRejectedError") {
          return CircuitBreaker.success
        }
        const wait = Option.isSome(error) ? retryWait(error.value) : undefined
        return CircuitBreaker.failure(
          wait === undefined ? undefined : { retryAfter: Duration.millis(wait) },
        )
      }
      guard = <A>(effect: Effect.Effect<A, CloudModel.CloudError>) =>
        effect.pipe(
          breaker.execute<A, CloudModel.CloudError>({ key: base, classify }),
          Effect.catchTag("CircuitBreakerError", (e) => {
            const reason = e.reason
            const retryAfter =
              reason._tag === "CircuitOpen" ? Duration.toMillis(reason.retryAfter) : 0
            return Effect.fail(
              new CloudCircuitOpenError({
                message:
                  reason._tag === "CircuitOpen"
                    ? `${base}: the circuit is open after ${circuit.failures ?? 5} failed calls in a row; no request was sent (a probe may try in ${Math.ceil(retryAfter)} ms)`
                    : `${base}: ${reason.message}; no request was sent`,
                retryAfterMs: retryAfter,
              }),
            )
          }),
        )
    }

    /** One call: counted, guarded by the circuit, retried inside it, its answer parsed. */
    const call = <A>(
      request: HttpClientRequest.HttpClientRequest,
      parse: (body: string) => Effect.Effect<A, CloudModel.CloudError>,
      account: (answer: A) => void,
    ): Effect.Effect<A, CloudModel.CloudError> =>
      Effect.suspend(() => {
        totals.requests++
        return guard(Effect.flatMap(attempts(request), parse)).pipe(
          Effect.tap((answer) => Effect.sync(() => account(answer))),
          Effect.tapError(() =>
            Effect.sync(() => {
              totals.failures++
            }),
          ),
        )
      })

    const chat = (request: CloudModel.ChatRequest) =>
      Effect.suspend(() => {
        const body = HttpBody.text(
          JSON.stringify(chatBody(options.model, request)),
          "application/json",
        )
        const http = withHeaders(
          HttpClientRequest.post(`${base}/chat/completions`).pipe(HttpClientRequest.setBody(body)),
        )
        return call(
          http,
          (text) =>
            Effect.map(
              parseAnswer(text, "a chat completion", decodeCompletion),
              (completion): CloudModel.ChatResponse => {
                const choice = completion.choices[0]
                const usage: CloudModel.Usage = {
                  promptTokens: completion.usage?.prompt_tokens ?? 0,
                  completionTokens: completion.usage?.completion_tokens ?? 0,
                }
                const tokens = choice.logprobs?.content
                return {
                  content: choice.message.content ?? "",
                  model: completion.model ?? request.model ?? options.model,
                  finishReason: choice.finish_reason ?? undefined,
                  ...(tokens == null
                    ? {}
                    : {
                        logprobs: tokens.map((t) => ({
                          token: t.token,
                          logprob: t.logprob,
                          topLogprobs: (t.top_logprobs ?? []).map((top) => ({
                            token: top.token,
                            logprob: top.logprob,
                          })),
                        })),
                      }),
                  usage,
                  costUsd: CloudModel.costOf(options.pricing, usage),
                }
              },
            ),
          (answer) => {
            totals.promptTokens += answer.usage.promptTokens
            totals.completionTokens += answer.usage.completionTokens
            totals.costUsd += answer.costUsd
          },
        )
      })

    const transcribe = (request: CloudModel.TranscriptionRequest) =>
      Effect.suspend(() => {
        const model = request.model ?? options.transcriptionModel ?? DEFAULT_TRANSCRIPTION_MODEL
        const fields: Array<readonly [string, string]> = [
          ["model", model],
          ["response_format", "json"],
        ]
        if (request.language !== undefined) fields.push(["language", request.language])
        if (request.prompt !== undefined) fields.push(["prompt", request.prompt])
        const form = multipart(fields, {
          name: "file",
          filename: request.filename ?? "audio.wav",
          bytes: request.audio,
        })
        const http = withHeaders(
          HttpClientRequest.post(`${base}/audio/transcriptions`).pipe(
            HttpClientRequest.bodyUint8Array(form.body, form.contentType),
          ),
        )
        return call(
          http,
          (text) =>
            Effect.map(
              parseAnswer(text, "a transcription", decodeTranscription),
              (answer): CloudModel.TranscriptionResponse => {
                const u = answer.usage ?? undefined
                const usage: CloudModel.Usage | undefined =
                  u != null && (u.input_tokens != null || u.output_tokens != null)
                    ? { promptTokens: u.input_tokens ?? 0, completionTokens: u.output_tokens ?? 0 }
                    : undefined
                const seconds = answer.duration ?? u?.seconds ?? undefined
                return {
                  text: answer.text,
                  model,
                  ...(answer.language == null ? {} : { language: answer.language }),
                  ...(seconds == null ? {} : { durationSeconds: seconds }),
                  ...(usage === undefined ? {} : { usage }),
                  costUsd: CloudModel.costOf(options.pricing, usage, seconds),
                }
              },
            ),
          (answer) => {
            totals.promptTokens += answer.usage?.promptTokens ?? 0
            totals.completionTokens += answer.usage?.completionTokens ?? 0
            totals.audioSeconds += answer.durationSeconds ?? 0
            totals.costUsd += answer.costUsd
          },
        )
      })

    return {
      specificationVersion: CloudModel.specificationVersion,
      provider: options.provider ?? "openai-compatible",
      capabilities: { ...DEFAULT_CAPABILITIES, ...options.capabilities },
      chat,
      transcribe,
      usage: Effect.sync((): CloudModel.Totals => ({ ...totals })),
    }
  })

/** The client as the `CloudModel` Layer, over `fetch` (browsers and Node 18+). */
export const layer = (options: Options): Layer.Layer<CloudModel.CloudModel> =>
  Layer.effect(CloudModel.CloudModel, make(options)).pipe(Layer.provide(FetchHttpClient.layer))

export interface CallOptions {
  /** Aborting cancels the call (its retries and waits too); it rejects with `CancelledError`. */
  readonly signal?: AbortSignalLike | undefined
}

/** The client for Promise users. Rejections are the tagged `CloudError`s (plain `Error`s with a `_tag`). */
export interface Client {
  readonly provider: string
  readonly capabilities: CloudModel.Capabilities
  chat(request: CloudModel.ChatRequest, options?: CallOptions): Promise<CloudModel.ChatResponse>
  transcribe(
    request: CloudModel.TranscriptionRequest,
    options?: CallOptions,
  ): Promise<CloudModel.TranscriptionResponse>
  /** A snapshot of the running totals. */
  usage(): CloudModel.Totals
  /** Cancels calls in flight and frees the client; later calls reject with `CancelledError`. */
  close(): Promise<void>
}

/** `layer(options)` behind Promises, for code that does not use Effect. */
export const createClient = async (options: Options): Promise<Client> => {
  const runtime = ManagedRuntime.make(layer(options))
  const model = await runtime.runPromise(CloudModel.CloudModel)
  let closed = false
  const running = new Set<Fiber.Fiber<unknown, unknown>>()
  const exec = <A>(effect: Effect.Effect<A, CloudModel.CloudError>, call: CallOptions = {}) => {
    if (closed) return Promise.reject(new CancelledError({ message: "the client is closed" }))
    let fiber: Fiber.Fiber<A, CloudModel.CloudError> | undefined
    return withSignal(
      call.signal,
      () => fiber?.interruptUnsafe(),
      () =>
        new Promise<A>((resolve, reject) => {
          const started = runtime.runFork(effect)
          fiber = started
          running.add(started)
          started.addObserver((exit) => {
            running.delete(started)
            if (Exit.isSuccess(exit)) resolve(exit.value)
            else reject(toError(exit.cause))
          })
        }),
    )
  }
  return {
    provider: model.provider,
    capabilities: model.capabilities,
    chat: (request, call) => exec(model.chat(request), call),
    transcribe: (request, call) => exec(model.transcribe(request), call),
    // The totals need no service, so they stay readable after close.
    usage: () => Effect.runSync(model.usage),
    close: async () => {
      if (closed) return
      closed = true
      for (const fiber of running) fiber.interruptUnsafe()
      await runtime.dispose()
    },
  }
}
