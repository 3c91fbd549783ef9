/**
 * The spec of a cloud model an edge pipeline escalates to: chat completions
 * and speech transcription, in the shapes OpenAI-compatible servers answer
 * (OpenAI, vLLM, Ollama, llama.cpp, Edgeline's cloud-server), with token
 * usage and cost on every answer and running totals. Version `v1`.
 *
 * `OpenAiCloudModel.layer(options)` provides it over `fetch` (browsers and
 * Node alike) with timeouts, retries and a circuit breaker. Another provider
 * is a small adapter: an object of this `Shape`, given to `layer`.
 *
 * Every failure is one of five tagged errors (`CloudError`): the request
 * failed or timed out (retryable), was rejected (4xx, never retried), the
 * circuit is open (nothing was sent), or the answer was malformed.
 *
 * @example
 * ```ts
 * import { CloudModel, OpenAiCloudModel } from "@edgeline/core"
 * import { Effect } from "effect"
 *
 * const answer = CloudModel.chat({ messages: [{ role: "user", content: "Spam or ham? WIN A PRIZE" }] })
 * const reply = await Effect.runPromise(
 *   answer.pipe(Effect.provide(OpenAiCloudModel.layer({ baseUrl: "https://api.openai.com/v1", apiKey, model: "gpt-4o-mini" }))),
 * )
 * reply.content // the assistant's text; reply.usage, reply.costUsd
 * ```
 */
import { Context, type Effect, Layer } from "effect"
import type {
  CloudAnswerError,
  CloudCircuitOpenError,
  CloudRejectedError,
  CloudRequestError,
  CloudTimeoutError,
} from "./Errors.js"

/** The version of this spec a provider implements. */
export const specificationVersion = "v1"
export type SpecificationVersion = typeof specificationVersion

/** What a provider can do, so callers adapt instead of failing late. */
export interface Capabilities {
  /** `chat` works (`/v1/chat/completions`). */
  readonly chat: boolean
  /** `transcribe` works (`/v1/audio/transcriptions`). */
  readonly transcription: boolean
  /** Chat answers carry token log-probabilities when asked (`logprobs`, `topLogprobs`). */
  readonly logprobs: boolean
  /** Chat honours `responseFormat: { type: "json_schema" }` (structured output). */
  readonly jsonSchema: boolean
}

export interface ChatMessage {
  readonly role: "system" | "developer" | "user" | "assistant"
  readonly content: string
}

/** The answer's format: free text (the default), any JSON object, or JSON fitting a schema. */
export type ResponseFormat =
  | { readonly type: "text" }
  | { readonly type: "json_object" }
  | {
      readonly type: "json_schema"
      readonly name: string
      readonly schema: Readonly<Record<string, unknown>>
      readonly strict?: boolean | undefined
    }

export interface ChatRequest {
  readonly messages: ReadonlyArray<ChatMessage>
  /** Overrides the provider's default model. */
  readonly model?: string | undefined
  readonly temperature?: number | undefined
  /** Sent as `max_tokens`. */
  readonly maxTokens?: number | undefined
  readonly responseFormat?: ResponseFormat | undefined
  /** Ask for each answer token's log-probability. */
  readonly logprobs?: boolean | undefined
  /** Alternatives per token (0–20); implies `logprobs`. */
  readonly topLogprobs?: number | undefined
  /** Extra body fields, sent as they are (`seed`, `user`, a server's own parameters); the fields above win. */
  readonly extra?: Readonly<Record<string, unknown>> | undefined
}

/** Tokens one answer took. */
export interface Usage {
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface TopLogprob {
  readonly token: string
  readonly logprob: number
}

export interface TokenLogprob extends TopLogprob {
  /** The most likely tokens at this position (empty unless `topLogprobs` was asked for). */
  readonly topLogprobs: ReadonlyArray<TopLogprob>
}

export interface ChatResponse {
  /** The assistant's text. */
  readonly content: string
  /** The model that answered, as the server names it. */
  readonly model: string
  readonly finishReason?: string | undefined
  /** Per answer token, when asked for and the server gives them. */
  readonly logprobs?: ReadonlyArray<TokenLogprob> | undefined
  readonly usage: Usage
  /** What this answer cost in US dollars at the provider's pricing (0 without pricing). */
  readonly costUsd: number
}

export interface TranscriptionRequest {
  /** The recording: a whole audio file (a WAV file, for example), not bare samples. */
  readonly audio: Uint8Array
  /** The file name the server sees; its extension tells the format. Default `audio.wav`. */
  readonly filename?: string | undefined
  /** Overrides the provider's default transcription model. */
  readonly model?: string | undefined
  /** The spoken language (ISO-639-1, e.g. `en`), when known: faster and more accurate. */
  readonly language?: string | undefined
  /** Text to steer the transcription (names, spelling). */
  readonly prompt?: string | undefined
}

export interface TranscriptionResponse {
  readonly text: string
  readonly model: string
  readonly language?: string | undefined
  /** The audio's length, when the server says (duration-billed models do). */
  readonly durationSeconds?: number | undefined
  /** Tokens, when the server bills by token (gpt-4o-transcribe does). */
  readonly usage?: Usage | undefined
  readonly costUsd: number
}

/** Running totals of one provider since it was made. */
export interface Totals {
  /** Calls made (`chat` and `transcribe`), whatever their outcome. */
  readonly requests: number
  /** HTTP requests sent, retries included; a call the open circuit refused sends none. */
  readonly attempts: number
  /** Calls that ended in an error (the circuit's refusals included). */
  readonly failures: number
  readonly promptTokens: number
  readonly completionTokens: number
  /** Seconds of audio transcribed, where the server said. */
  readonly audioSeconds: number
  readonly costUsd: number
}

/** Any way a cloud call fails. */
export type CloudError =
  | CloudRequestError
  | CloudTimeoutError
  | CloudRejectedError
  | CloudCircuitOpenError
  | CloudAnswerError

/** Dollars per million tokens (and per minute of audio, for duration-billed transcription). */
export interface Pricing {
  readonly inputPerMillion: number
  readonly outputPerMillion: number
  readonly audioPerMinute?: number | undefined
}

export interface Shape {
  readonly specificationVersion: SpecificationVersion
  /** Who answers, e.g. `openai-compatible`, for logs and telemetry. */
  readonly provider: string
  readonly capabilities: Capabilities
  readonly chat: (request: ChatRequest) => Effect.Effect<ChatResponse, CloudError>
  readonly transcribe: (
    request: TranscriptionRequest,
  ) => Effect.Effect<TranscriptionResponse, CloudError>
  /** A snapshot of the running totals. */
  readonly usage: Effect.Effect<Totals>
}

export class CloudModel extends Context.Service<CloudModel, Shape>()("@edgeline/core/CloudModel") {}

/** A provider as the `CloudModel` Layer (an adapter of your own, or a test double). */
export const layer = (shape: Shape): Layer.Layer<CloudModel> => Layer.succeed(CloudModel, shape)

/** `chat` on the provided `CloudModel`. */
export const chat = (request: ChatRequest): Effect.Effect<ChatResponse, CloudError, CloudModel> =>
  CloudModel.use((model) => model.chat(request))

/** `transcribe` on the provided `CloudModel`. */
export const transcribe = (
  request: TranscriptionRequest,
): Effect.Effect<TranscriptionResponse, CloudError, CloudModel> =>
  CloudModel.use((model) => model.transcribe(request))

/** The running totals of the provided `CloudModel`. */
export const usage: Effect.Effect<Totals, never, CloudModel> = CloudModel.use(
  (model) => model.usage,
)

/** Whether asking again later may succeed: a failed or timed-out request, or an open circuit. */
export const isRetryable = (error: CloudError): boolean => {
  switch (error._tag) {
    case "CloudRequestError":
      return error.retryable
    case "CloudTimeoutError":
    case "CloudCircuitOpenError":
      return true
    case "CloudRejectedError":
    case "CloudAnswerError":
      return false
  }
}

/** What `usage` (and `audioSeconds` of audio) cost at `pricing`; 0 without pricing. */
export const costOf = (
  pricing: Pricing | undefined,
  usage: Usage | undefined,
  audioSeconds?: number | undefined,
): number => {
  if (pricing === undefined) return 0
  if (usage !== undefined) {
    return (
      (usage.promptTokens * pricing.inputPerMillion +
        usage.completionTokens * pricing.outputPerMillion) /
      1_000_000
    )
  }
  return audioSeconds !== undefined && pricing.audioPerMinute !== undefined
    ? (audioSeconds / 60) * pricing.audioPerMinute
    : 0
}
