/**
 * The slice of the OpenAI chat-completions API a labelling teacher speaks:
 * the request (system instructions, the text as the user message, a JSON
 * schema for the answer, token probabilities when wanted) and the checked
 * reading of a response. Servers that copy this API (vLLM, llama.cpp,
 * Ollama, LiteLLM, Edgeline's cloud-server) answer the same shapes.
 */
import { Result, Schema } from "effect"

/** The answer's JSON schema: one of the labels, and how sure the model is. */
export const answerSchema = (labels: ReadonlyArray<string>) => ({
  type: "object",
  properties: {
    label: { type: "string", enum: [...labels] },
    confidence: {
      type: "number",
      description: "probability between 0 and 1 that the label is right",
    },
  },
  // Strict structured outputs want every property listed as required.
  required: ["label", "confidence"],
  additionalProperties: false,
})

export const defaultInstructions = (labels: ReadonlyArray<string>): string =>
  `Classify the user's message as exactly one of: ${labels.join(", ")}. ` +
  `Answer in JSON with "label" (one of those) and "confidence" ` +
  `(the probability from 0 to 1 that your label is right).`

export interface RequestOptions {
  readonly model: string
  readonly labels: ReadonlyArray<string>
  readonly instructions: string
  /** `undefined` leaves it to the server (reasoning models refuse the parameter). */
  readonly temperature: number | undefined
  /** How many alternatives per token to ask for; `undefined` asks for no logprobs. */
  readonly topLogprobs: number | undefined
}

/** The request body for one text. */
export const requestBody = (options: RequestOptions, text: string) => ({
  model: options.model,
  ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
  messages: [
    { role: "system", content: options.instructions },
    { role: "user", content: text },
  ],
  response_format: {
    type: "json_schema",
    json_schema: { name: "label", strict: true, schema: answerSchema(options.labels) },
  },
  ...(options.topLogprobs === undefined
    ? {}
    : { logprobs: true, top_logprobs: options.topLogprobs }),
})

const TokenLogprob = Schema.Struct({ token: Schema.String, logprob: Schema.Number })

const Completion = Schema.Struct({
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
                    top_logprobs: Schema.optional(Schema.NullOr(Schema.Array(TokenLogprob))),
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
        prompt_tokens: Schema.optional(Schema.Number),
        completion_tokens: Schema.optional(Schema.Number),
      }),
    ),
  ),
})
export type Completion = typeof Completion.Type

const decodeCompletion = Schema.decodeUnknownResult(Completion)

/** A response body as a chat completion, or why it is not one. */
export const parseCompletion = (
  body: string,
): { readonly completion: Completion } | { readonly problem: string } => {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { problem: "its body is not JSON" }
  }
  const decoded = decodeCompletion(json)
  return Result.isSuccess(decoded)
    ? { completion: decoded.success }
    : { problem: `it is not a chat completion (${decoded.failure.message.replace(/\s+/g, " ")})` }
}

/** The message of an OpenAI-style error body (`{ "error": { "message" } }`), when there is one. */
export const errorMessage = (body: string): string | undefined => {
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
  return undefined
}

/** The model's answer in `content`: its label (one of `labels`) and confidence, or why not. */
export const parseAnswer = (
  labels: ReadonlyArray<string>,
  content: string,
):
  | { readonly label: string; readonly confidence: number | undefined }
  | { readonly problem: string } => {
  let json: unknown
  try {
    json = JSON.parse(content)
  } catch {
    return { problem: "the answer is not JSON" }
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { problem: "the answer is not a JSON object" }
  }
  const { label, confidence } = json as { label?: unknown; confidence?: unknown }
  if (typeof label !== "string") return { problem: `the answer has no string "label"` }
  if (!labels.includes(label)) {
    return { problem: `its label ${JSON.stringify(label)} is not one of ${labels.join(", ")}` }
  }
  if (confidence === undefined || confidence === null) return { label, confidence: undefined }
  if (typeof confidence !== "number" || !(confidence >= 0 && confidence <= 1)) {
    return { problem: `its confidence ${JSON.stringify(confidence)} is not a number in [0, 1]` }
  }
  return { label, confidence }
}
