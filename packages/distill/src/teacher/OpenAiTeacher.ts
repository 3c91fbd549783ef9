/**
 * A teacher on any OpenAI-compatible chat-completions server: it sends the
 * instructions as the system message and the text as the user message, asks
 * for a JSON answer `{ label, confidence }` with the labels as an enum, and
 * reads soft labels from the token probabilities at the label where the
 * server gives them (`logprobs`), else from the stated confidence.
 *
 * Only `fetch` is used, so it runs in browsers as in Node.
 *
 * @example
 * ```ts
 * import { OpenAiTeacher, Teacher } from "@edgeline/distill"
 * const teacher = OpenAiTeacher.make({
 *   baseUrl: "https://api.openai.com/v1",
 *   apiKey: process.env.OPENAI_API_KEY,
 *   model: "gpt-4o-mini",
 *   labels: ["ham", "spam"],
 *   pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
 * })
 * const answer = await Teacher.labelPromise(teacher, "You won a free cruise! Click here")
 * answer.probabilities // e.g. [0.02, 0.98], source "logprobs"
 * ```
 */
import { Effect } from "effect"
import * as OpenAiProtocol from "./OpenAiProtocol.js"
import { retryAfterMs } from "./RetryAfter.js"
import { fromConfidence, fromTopLogprobs, labelTokenCandidates } from "./SoftLabels.js"
import * as Teacher from "./Teacher.js"
import {
  excerpt,
  TeacherAnswerError,
  type TeacherError,
  TeacherOptionsError,
  TeacherRejectedError,
  TeacherRequestError,
} from "./TeacherErrors.js"
import type { Pricing, Usage } from "./Usage.js"

export interface Options {
  /** The API's base URL as the OpenAI SDK takes it, e.g. `https://api.openai.com/v1`; requests go to `<baseUrl>/chat/completions`. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined
  readonly model: string
  /** The labels, in the order the probabilities follow. */
  readonly labels: ReadonlyArray<string>
  /** The system message; by default it names the labels and asks for JSON. */
  readonly instructions?: string | undefined
  /** Default 0; `null` sends none (models that refuse the parameter). */
  readonly temperature?: number | null | undefined
  /**
   * Ask for token probabilities: `true` always; `false` never (soft labels
   * come from the stated confidence); `"auto"` (the default) asks, and stops
   * asking once the server refuses the parameter with a 400.
   */
  readonly logprobs?: "auto" | boolean | undefined
  /** Alternatives per token (`top_logprobs`); default twice the labels, at least 5, at most 20. */
  readonly topLogprobs?: number | undefined
  /** Dollars per million tokens, for a job's cost count. */
  readonly pricing?: Pricing | undefined
  /** Longest one request may take, its answer included; default 60 000 ms. */
  readonly timeoutMs?: number | undefined
  /** Sent with every request (an organisation or project header, a proxy's key). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The `fetch` to use (default: the global one). */
  readonly fetch?: typeof globalThis.fetch | undefined
  /**
   * The teacher's id, the labelling cache's key. By default it is made from
   * the model, the instructions, the temperature and whether logprobs are
   * used (not the URL, so a moved server keeps its cache).
   */
  readonly id?: string | undefined
}

export const DEFAULT_TIMEOUT_MS = 60_000

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable fingerprint for an id. */
const fingerprint = (text: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}

/** The URL without a trailing slash, and without credentials for messages. */
const parseBaseUrl = (url: string): { readonly base: string; readonly shown: string } => {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new TeacherOptionsError({
      message: `baseUrl "${url}" is not an http(s) URL; give the API's base, e.g. https://api.openai.com/v1`,
    })
  }
  parsed.username = ""
  parsed.password = ""
  return { base: url.replace(/\/+$/, ""), shown: parsed.href.replace(/\/+$/, "") }
}

/** Why `fetch` itself failed: Node puts the system error (ECONNREFUSED…) in `cause`. */
const reason = (e: unknown): string => {
  const message = e instanceof Error ? e.message : String(e)
  const code = (e as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === "string" ? `${message} (${code})` : message
}

const check = (ok: boolean, message: string): void => {
  if (!ok) throw new TeacherOptionsError({ message })
}

/** Statuses that may go away when asked again: timeout, conflict, too early, too many, server errors. */
const retryableStatus = (status: number): boolean =>
  status === 408 || status === 409 || status === 425 || status === 429 || status >= 500

interface Reply {
  readonly status: number
  readonly statusText: string
  readonly headers: Headers
  readonly body: string
}

/** A teacher on an OpenAI-compatible server. Throws `TeacherOptionsError` on bad options. */
export const make = (options: Options): Teacher.Teacher => {
  const labels = Teacher.checkLabels(options.labels)
  const { base, shown } = parseBaseUrl(options.baseUrl)
  check(
    typeof options.model === "string" && options.model !== "",
    "model must be a non-empty string",
  )
  const temperature = options.temperature === null ? undefined : (options.temperature ?? 0)
  check(
    temperature === undefined || (Number.isFinite(temperature) && temperature >= 0),
    `temperature must be a number ≥ 0 or null, got ${temperature}`,
  )
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  check(timeoutMs > 0, `timeoutMs must be > 0, got ${timeoutMs}`)
  const mode = options.logprobs ?? "auto"
  check(
    mode === "auto" || mode === true || mode === false,
    `logprobs must be "auto", true or false, got ${JSON.stringify(mode)}`,
  )
  const topLogprobs = options.topLogprobs ?? Math.min(20, Math.max(5, 2 * labels.length))
  check(
    Number.isInteger(topLogprobs) && topLogprobs >= 1 && topLogprobs <= 20,
    `topLogprobs must be an integer from 1 to 20, got ${topLogprobs}`,
  )
  const pricing = options.pricing
  if (pricing !== undefined) {
    check(
      Number.isFinite(pricing.inputPerMillion) &&
        Number.isFinite(pricing.outputPerMillion) &&
        pricing.inputPerMillion >= 0 &&
        pricing.outputPerMillion >= 0,
      `pricing must be { inputPerMillion, outputPerMillion } in dollars ≥ 0, got ${JSON.stringify(pricing)}`,
    )
  }
  const instructions = options.instructions ?? OpenAiProtocol.defaultInstructions(labels)
  const id =
    options.id ??
    `openai:${options.model}#${fingerprint(JSON.stringify([instructions, temperature ?? null, mode !== false]))}`
  const fetchFn = options.fetch ?? globalThis.fetch
  const url = `${base}/chat/completions`
  const headers = {
    "content-type": "application/json",
    accept: "application/json",
    ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    ...options.headers,
  }
  // "auto" turns logprobs off for good once the server has refused them.
  let askLogprobs = mode !== false

  const post = (text: string, withLogprobs: boolean): Effect.Effect<Reply, TeacherRequestError> =>
    Effect.tryPromise({
      try: async (signal) => {
        const body = OpenAiProtocol.requestBody(
          {
            model: options.model,
            labels,
            instructions,
            temperature,
            topLogprobs: withLogprobs ? topLogprobs : undefined,
          },
          text,
        )
        const response = await fetchFn(url, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          signal,
        })
        return {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
          body: await response.text(),
        }
      },
      catch: (e) =>
        new TeacherRequestError({
          message: `cannot reach ${shown} (POST /chat/completions): ${reason(e)}; is the server running and the baseUrl right?`,
          status: undefined,
          retryAfterMs: undefined,
        }),
    }).pipe(
      // Covers reading the body too: a server that stalls mid-answer times out as well.
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () =>
          Effect.fail(
            new TeacherRequestError({
              message: `${shown} did not answer POST /chat/completions within ${timeoutMs} ms`,
              status: undefined,
              retryAfterMs: undefined,
            }),
          ),
      }),
    )

  /** An error for a non-2xx reply, retryable or not by its status. */
  const failure = (reply: Reply): TeacherError => {
    const said = OpenAiProtocol.errorMessage(reply.body) ?? (excerpt(reply.body) || "(no body)")
    const what = `${shown} answered POST /chat/completions with ${reply.status}${reply.statusText ? ` ${reply.statusText}` : ""}: ${said}`
    if (retryableStatus(reply.status)) {
      return new TeacherRequestError({
        message: what,
        status: reply.status,
        retryAfterMs: retryAfterMs(reply.headers),
      })
    }
    const hint =
      reply.status === 401 || reply.status === 403
        ? "; check the apiKey"
        : reply.status === 404
          ? `; is the model "${options.model}" served there, and does baseUrl end where the API starts (often /v1)?`
          : ""
    return new TeacherRejectedError({ message: `${what}${hint}`, status: reply.status })
  }

  /** The soft label in a 2xx reply, or why there is none. */
  const read = (
    reply: Reply,
    withLogprobs: boolean,
  ): Effect.Effect<Teacher.Answer, TeacherError> => {
    const parsed = OpenAiProtocol.parseCompletion(reply.body)
    if ("problem" in parsed) {
      return Effect.fail(
        new TeacherRequestError({
          message: `${shown} answered POST /chat/completions with ${reply.status}, but ${parsed.problem}: ${excerpt(reply.body)}`,
          status: reply.status,
          retryAfterMs: undefined,
        }),
      )
    }
    const { completion } = parsed
    const usage: Usage = {
      promptTokens: completion.usage?.prompt_tokens ?? 0,
      completionTokens: completion.usage?.completion_tokens ?? 0,
    }
    const choice = completion.choices[0]
    const content = choice.message.content
    const malformed = (problem: string, answer: string) =>
      Effect.fail(
        new TeacherAnswerError({
          message: `${options.model} at ${shown} gave no usable label: ${problem}`,
          answer: excerpt(answer),
          usage,
        }),
      )
    if (typeof content !== "string") {
      const refusal = choice.message.refusal
      return typeof refusal === "string"
        ? malformed(`the model refused: ${refusal}`, refusal)
        : malformed(`the answer has no content (finish_reason ${choice.finish_reason})`, "")
    }
    const answer = OpenAiProtocol.parseAnswer(labels, content)
    if ("problem" in answer) {
      const cut = choice.finish_reason === "length" ? " (cut short: finish_reason length)" : ""
      return malformed(`${answer.problem}${cut}`, content)
    }
    const tokens = withLogprobs ? choice.logprobs?.content : undefined
    const candidates = tokens ? labelTokenCandidates(content, tokens) : undefined
    const soft = candidates && fromTopLogprobs(labels, candidates)
    return Effect.succeed(
      soft === undefined
        ? {
            probabilities: fromConfidence(labels, answer.label, answer.confidence),
            source: "json",
            usage,
          }
        : { probabilities: soft, source: "logprobs", usage },
    )
  }

  const label = (text: string): Effect.Effect<Teacher.Answer, TeacherError> =>
    Effect.suspend(() => {
      const withLogprobs = askLogprobs
      return post(text, withLogprobs).pipe(
        Effect.flatMap((reply): Effect.Effect<Teacher.Answer, TeacherError> => {
          if (reply.status >= 200 && reply.status < 300) return read(reply, withLogprobs)
          if (
            mode === "auto" &&
            withLogprobs &&
            reply.status === 400 &&
            /logprob/i.test(reply.body)
          ) {
            askLogprobs = false
            return label(text)
          }
          return Effect.fail(failure(reply))
        }),
      )
    })

  return {
    specificationVersion: Teacher.specificationVersion,
    id,
    labels,
    pricing,
    label: (text) =>
      typeof text === "string"
        ? label(text)
        : Effect.fail(
            new TeacherRejectedError({
              message: `a teacher labels strings, got ${text === null ? "null" : typeof text}`,
              status: undefined,
            }),
          ),
  }
}
