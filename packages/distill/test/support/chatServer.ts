/**
 * A real OpenAI-compatible chat-completions server for the tests, on
 * 127.0.0.1 (a free port). It labels a message as the reference cloud tier
 * does: the JSON schema's `label` enum gets the most probable label, with
 * `confidence`; with `logprobs: true` the label's first token carries
 * ln p(label) and its `top_logprobs` list each label's first token.
 *
 * Its "model" is a keyword rule (`truth`), so a test knows the answer. It
 * misbehaves on demand, per message text: a script of behaviours is used up
 * one per request for that text, then it answers normally.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"

export type Behaviour =
  | { readonly kind: "ok" }
  /** The message content is not JSON. */
  | { readonly kind: "malformed-json" }
  /** The label is not among the schema's enum. */
  | { readonly kind: "unknown-label" }
  /** A plain HTTP failure: 429 (with `Retry-After`), 500, 401, 400… */
  | {
      readonly kind: "status"
      readonly status: number
      readonly retryAfter?: string | undefined
      readonly message?: string | undefined
    }
  /** Answers after `delayMs`. */
  | { readonly kind: "slow"; readonly delayMs: number }
  /** Answers without `logprobs`, as servers that do not support them do. */
  | { readonly kind: "no-logprobs" }
  /** A 200 whose body is not a chat completion (an HTML page from a proxy). */
  | { readonly kind: "html" }

export interface Received {
  /** `performance.now()` when it arrived. */
  readonly at: number
  readonly headers: IncomingHttpHeaders
  readonly body: any
  /** The user message: the text being labelled. */
  readonly text: string
}

export interface ServerOptions {
  /** Answer every request with logprobs when asked (default true). */
  readonly logprobs?: boolean
  /** Include `confidence` in answers (default true). */
  readonly confidence?: boolean
  /** Delay before every answer (default 0). */
  readonly delayMs?: number
  /**
   * How the label's first token looks: `"split"` (`":"` then `sp`), or
   * `"quoted"` (`":` then `"sp`, the quote inside the token).
   */
  readonly tokens?: "split" | "quoted"
  /** Refuse the `logprobs` parameter with a 400, as some providers do. */
  readonly refuseLogprobs?: boolean
  /** Require this API key as a bearer token (401 otherwise). */
  readonly apiKey?: string
}

export interface ChatServer {
  /** The API base, e.g. http://127.0.0.1:41234/v1 */
  readonly url: string
  readonly requests: Array<Received>
  /** Requests received for `text`. */
  readonly countFor: (text: string) => number
  /** Behaviours for the next requests about `text`, in order. */
  readonly script: (text: string, behaviours: ReadonlyArray<Behaviour>) => void
  /** Drops every behaviour not used up yet: the next requests are answered as usual. */
  readonly unscript: () => void
  /** Most requests being answered at once so far. */
  readonly maxInFlight: () => number
  /** Requests the client gave up on (closed) before the answer was sent. */
  readonly abandoned: () => number
  readonly close: () => Promise<void>
}

const SPAM_WORDS = /\b(free|winner|win|cash|viagra|click|prize|offer|cheap)\b/gi

/** The test model: the more spam words, the likelier spam. Probabilities over ["ham", "spam"]-like pairs. */
export const truth = (labels: ReadonlyArray<string>, text: string): ReadonlyArray<number> => {
  const hits = text.match(SPAM_WORDS)?.length ?? 0
  const spam = hits === 0 ? 0.15 : hits === 1 ? 0.7 : 0.95
  // The last label plays "spam"; the others share the rest.
  const rest = (1 - spam) / (labels.length - 1)
  return labels.map((_, i) => (i === labels.length - 1 ? spam : rest))
}

const round = (x: number) => Math.round(x * 1000) / 1000

export const startChatServer = async (options: ServerOptions = {}): Promise<ChatServer> => {
  const requests: Array<Received> = []
  const scripts = new Map<string, Array<Behaviour>>()
  let inFlight = 0
  let maxInFlight = 0
  let abandoned = 0

  const answer = (
    body: any,
    behaviour: Behaviour,
  ): { status: number; headers: Record<string, string>; body: string } => {
    const labels: ReadonlyArray<string> =
      body?.response_format?.json_schema?.schema?.properties?.label?.enum ?? []
    const text: string = body?.messages?.find((m: any) => m.role === "user")?.content ?? ""
    const probabilities = truth(labels, text)
    const best = probabilities.indexOf(Math.max(...probabilities))
    const label = behaviour.kind === "unknown-label" ? "eggs" : (labels[best] ?? "")
    const confidence = round(probabilities[best] ?? 0)
    const content =
      behaviour.kind === "malformed-json"
        ? `{"label": "${label}", "confidence": `
        : JSON.stringify(options.confidence === false ? { label } : { label, confidence })

    const wantsLogprobs =
      body?.logprobs === true && options.logprobs !== false && behaviour.kind !== "no-logprobs"
    const first = (l: string) => l.slice(0, 2)
    const quoted = options.tokens === "quoted"
    // Tokens that spell the content exactly, the label cut after two characters.
    const head = quoted ? ['{"', "label", '":'] : ['{"', "label", '":"']
    const valueStart = content.indexOf(label, head.join("").length)
    const tokens =
      behaviour.kind === "malformed-json" || valueStart < 0
        ? [content]
        : [
            ...head,
            `${quoted ? '"' : ""}${first(label)}`,
            ...(label.length > 2 ? [label.slice(2)] : []),
            content.slice(valueStart + label.length),
          ]
    const top = labels.map((l, i) => ({
      token: `${quoted ? '"' : ""}${first(l)}`,
      logprob: Math.log(probabilities[i] ?? 0),
    }))
    const logprobs = wantsLogprobs
      ? {
          content: tokens.map((token, i) => ({
            token,
            logprob: i === head.length ? Math.log(probabilities[best] ?? 1) : -0.001,
            top_logprobs:
              i === head.length
                ? [...top, { token: " ", logprob: Math.log(1e-4) }].slice(0, body.top_logprobs ?? 5)
                : [{ token, logprob: -0.001 }],
          })),
        }
      : null
    const promptChars = (body?.messages ?? []).reduce(
      (n: number, m: any) => n + String(m.content).length,
      0,
    )
    return {
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body?.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content, refusal: null },
            logprobs,
            finish_reason: "stop",
          },
        ],
        usage: {
          prompt_tokens: Math.ceil(promptChars / 4),
          completion_tokens: tokens.length,
          total_tokens: Math.ceil(promptChars / 4) + tokens.length,
        },
      }),
    }
  }

  const error = (status: number, message: string, extra: Record<string, string> = {}) => ({
    status,
    headers: { "content-type": "application/json", ...extra },
    body: JSON.stringify({ error: { message, type: "test_error", code: status } }),
  })

  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      let finished = false
      const finish = () => {
        if (!finished) {
          finished = true
          inFlight--
        }
      }
      res.on("close", finish)
      const raw = Buffer.concat(chunks).toString("utf8")
      let body: any
      try {
        body = JSON.parse(raw)
      } catch {
        body = undefined
      }
      const text: string = body?.messages?.find((m: any) => m.role === "user")?.content ?? ""
      requests.push({ at: performance.now(), headers: req.headers, body, text })
      const behaviour = scripts.get(text)?.shift() ?? { kind: "ok" }

      const reply = (): { status: number; headers: Record<string, string>; body: string } => {
        if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
          return error(404, `no route ${req.method} ${req.url}`)
        }
        if (
          options.apiKey !== undefined &&
          req.headers.authorization !== `Bearer ${options.apiKey}`
        ) {
          return error(401, "Incorrect API key provided")
        }
        if (body === undefined) return error(400, "the body is not JSON")
        if (options.refuseLogprobs && body.logprobs !== undefined) {
          return error(400, "logprobs is not supported by this model")
        }
        if (behaviour.kind === "status") {
          return error(
            behaviour.status,
            behaviour.message ?? `test status ${behaviour.status}`,
            behaviour.retryAfter === undefined ? {} : { "retry-after": behaviour.retryAfter },
          )
        }
        if (behaviour.kind === "html") {
          return {
            status: 200,
            headers: { "content-type": "text/html" },
            body: "<html>gateway</html>",
          }
        }
        return answer(body, behaviour)
      }
      const delay = (options.delayMs ?? 0) + (behaviour.kind === "slow" ? behaviour.delayMs : 0)
      const send = () => {
        if (res.destroyed) {
          abandoned++
          return finish()
        }
        const r = reply()
        res.writeHead(r.status, r.headers)
        res.end(r.body, finish)
      }
      if (delay > 0) {
        const timer = setTimeout(send, delay)
        // The client left before the answer: counted at once, not when the delay is over.
        res.once("close", () => {
          if (res.writableFinished) return
          clearTimeout(timer)
          abandoned++
          finish()
        })
      } else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    countFor: (text) => requests.filter((r) => r.text === text).length,
    unscript: () => scripts.clear(),
    script: (text, behaviours) => {
      scripts.set(text, [...(scripts.get(text) ?? []), ...behaviours])
    },
    maxInFlight: () => maxInFlight,
    abandoned: () => abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
