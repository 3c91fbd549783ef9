/**
 * A chat completion from a classifier: the request checked, the last user
 * message classified, and the answer written in OpenAI's response shape
 * (checked against the `openai` package's `ChatCompletion` type in the tests).
 */
import { createHash, randomUUID } from "node:crypto"
import { Effect } from "effect"
import type { ChatClassifier } from "../ChatClassifier.js"
import * as Answer from "./Answer.js"
import { ApiError, invalidRequest } from "./ApiError.js"
import type { ChatRequest, Message } from "./ChatRequest.js"
import * as Logprobs from "./Logprobs.js"
import * as Models from "./Models.js"
import * as Tokens from "./Tokens.js"

export interface ChatCompletion {
  readonly id: string
  readonly object: "chat.completion"
  readonly created: number
  readonly model: string
  readonly system_fingerprint: string
  readonly choices: ReadonlyArray<{
    readonly index: number
    readonly message: {
      readonly role: "assistant"
      readonly content: string
      readonly refusal: null
    }
    readonly logprobs: {
      readonly content: ReadonlyArray<Logprobs.TokenLogprob>
      readonly refusal: null
    } | null
    readonly finish_reason: "stop"
  }>
  readonly usage: {
    readonly prompt_tokens: number
    readonly completion_tokens: number
    readonly total_tokens: number
  }
}

/** A message's text: its string, or its text parts joined by newlines. */
export const textOf = (content: Message["content"]): string =>
  content == null
    ? ""
    : typeof content === "string"
      ? content
      : content.map((p) => p.text).join("\n")

/** The same model gives the same fingerprint, as OpenAI's names a backend configuration. */
const fingerprintOf = (model: ChatClassifier): string =>
  `fp_${createHash("sha256")
    .update(JSON.stringify([model.id, model.labels]))
    .digest("hex")
    .slice(0, 10)}`

/** One row of probabilities, checked: a model that gives anything else fails the request. */
const checkRow = (model: ChatClassifier, row: ArrayLike<number> | undefined): ArrayLike<number> => {
  if (row === undefined || row.length !== model.labels.length) {
    throw new Error(
      `it gave ${row === undefined ? "no row" : `${row.length} probabilities`} for ${model.labels.length} labels`,
    )
  }
  for (let i = 0; i < row.length; i++) {
    const p = row[i]!
    if (!(p >= 0 && p <= 1))
      throw new Error(`it gave ${p} as the probability of "${model.labels[i]}"`)
  }
  return row
}

const argmax = (row: ArrayLike<number>): number => {
  let best = 0
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i
  return best
}

const classify = (model: ChatClassifier, text: string) =>
  Effect.tryPromise({
    try: async () => checkRow(model, (await model.classify([text]))[0]),
    catch: (cause) =>
      new ApiError({
        status: 500,
        type: "server_error",
        param: null,
        code: null,
        message: `The model "${model.id}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      }),
  })

export const complete = (
  request: ChatRequest,
  models: ReadonlyMap<string, ChatClassifier>,
): Effect.Effect<ChatCompletion, ApiError> =>
  Effect.gen(function* () {
    if (request.stream === true) {
      return yield* invalidRequest(
        "Streaming is not supported by this server: send stream: false (or leave it out).",
        "stream",
        "unsupported_value",
      )
    }
    const logprobs = request.logprobs === true
    const top = request.top_logprobs ?? 0
    if (request.top_logprobs != null && !logprobs) {
      return yield* invalidRequest(
        "Invalid value for 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is given.",
        "top_logprobs",
        "invalid_value",
      )
    }
    const model = models.get(request.model)
    if (model === undefined) return yield* Models.notFound(request.model)
    const format = request.response_format ?? undefined
    if (
      format?.type === "json_object" &&
      !request.messages.some((m) => /json/i.test(textOf(m.content)))
    ) {
      // OpenAI refuses this too: without the word the model may never stop writing.
      return yield* invalidRequest(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        "messages",
      )
    }
    const write = Answer.writerFor(format, model)
    if (write instanceof ApiError) return yield* write
    const last = [...request.messages].reverse().find((m) => m.role === "user")
    if (last === undefined) {
      return yield* invalidRequest(
        "'messages' must hold a user message: the model classifies the text of the last one.",
        "messages",
      )
    }

    const row = yield* classify(model, textOf(last.content))
    const chosen = argmax(row)
    const { content } = write(model.labels[chosen]!, row[chosen]!)
    const n = request.n ?? 1
    const choiceLogprobs = logprobs
      ? { content: Logprobs.of(write, model.labels, row, chosen, top), refusal: null }
      : null
    const prompt = Tokens.promptTokens(
      request.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
    )
    const completion = Tokens.encode(content).length * n
    return {
      id: `chatcmpl-${randomUUID().replaceAll("-", "")}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: model.id,
      system_fingerprint: fingerprintOf(model),
      choices: Array.from({ length: n }, (_, index) => ({
        index,
        message: { role: "assistant", content, refusal: null },
        logprobs: choiceLogprobs,
        finish_reason: "stop",
      })),
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      },
    } as const
  })
