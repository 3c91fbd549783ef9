/**
 * A scripted OpenAI-compatible server on loopback (node:http), for the
 * CloudModel client's tests: real HTTP, real sockets, real timing.
 *
 * Core cannot use the reference cloud tier (`@edgeline/cloud-server`) in its
 * tests: cloud-server depends on distill, which depends on core, so a dev
 * dependency on it would make a build cycle. This server answers in OpenAI's
 * exact shapes instead (`chat.completion` with `logprobs`, an `error` object
 * on failures, the transcription JSON), and records every request it receives
 * with the server's own receive time, so tests check waits from the server's
 * side, not from the client's wall clock.
 *
 * `/v1/audio/transcriptions` here also stands in for the real endpoint until
 * cloud-server has one (it is being added with PocketSphinx): it parses the
 * multipart body and answers OpenAI's transcription JSON.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: Buffer
  /** `Date.now()` when the server had the whole request. */
  readonly at: number
}

export interface Reply {
  readonly status?: number
  readonly headers?: Record<string, string>
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown
  /** Wait this long before answering (to test timeouts). */
  readonly delayMs?: number
}

/** What to answer to the n-th request (0-based) on a path; undefined falls back to the default. */
export type Script = (request: Received, n: number) => Reply | undefined

export interface TestServer {
  /** The API base, `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string
  readonly received: Array<Received>
  /** Replaces what the server answers from now on. */
  script(script: Script | undefined): void
  close(): Promise<void>
}

/** An OpenAI `chat.completion`, as the API sends it. */
export const completion = (
  content: string,
  options: {
    readonly model?: string
    readonly promptTokens?: number
    readonly completionTokens?: number
    readonly logprobs?: boolean
    readonly topLogprobs?: number
  } = {},
) => {
  const promptTokens = options.promptTokens ?? 12
  const completionTokens = options.completionTokens ?? 3
  const tokens = content.split(/(?=\s)/).filter((t) => t !== "")
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    created: 1_700_000_000,
    model: options.model ?? "gpt-test",
    system_fingerprint: "fp_test",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        logprobs: options.logprobs
          ? {
              content: tokens.map((token, i) => ({
                token,
                logprob: i === 0 ? Math.log(0.9) : 0,
                bytes: [...Buffer.from(token)],
                top_logprobs: Array.from({ length: options.topLogprobs ?? 0 }, (_, k) => ({
                  token: k === 0 ? token : `${token}~${k}`,
                  logprob: k === 0 ? Math.log(0.9) : Math.log(0.1 / k),
                  bytes: null,
                })),
              })),
              refusal: null,
            }
          : null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  }
}

/** OpenAI's error body. */
export const apiError = (
  message: string,
  type = "invalid_request_error",
  code: string | null = null,
) => ({
  error: { message, type, param: null, code },
})

export interface Part {
  readonly name: string
  readonly filename?: string
  readonly contentType?: string
  readonly data: Buffer
}

/** The parts of a multipart/form-data body. */
export const parseMultipart = (contentType: string, body: Buffer): Array<Part> => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType)
  if (boundary === null) throw new Error(`no boundary in ${contentType}`)
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  const parts: Array<Part> = []
  let at = body.indexOf(delimiter)
  while (at !== -1) {
    const start = at + delimiter.length
    if (body.subarray(start, start + 2).toString() === "--") break
    const next = body.indexOf(delimiter, start)
    if (next === -1) throw new Error("unterminated multipart body")
    // Each part: CRLF, headers, CRLF CRLF, data, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2)
    const split = part.indexOf("\r\n\r\n")
    const head = part.subarray(0, split).toString("utf8")
    const disposition = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? ""
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1]
    if (name === undefined) throw new Error(`a part without a name: ${head}`)
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1]
    const type = /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]
    parts.push({
      name,
      ...(filename === undefined ? {} : { filename }),
      ...(type === undefined ? {} : { contentType: type }),
      data: part.subarray(split + 4),
    })
    at = next
  }
  return parts
}

/** The default answers: a chat completion that echoes the last message, a transcription. */
const defaultReply = (request: Received): Reply => {
  if (request.method === "POST" && request.path === "/v1/chat/completions") {
    const body = JSON.parse(request.body.toString("utf8")) as {
      model: string
      messages: Array<{ content: string }>
      logprobs?: boolean
      top_logprobs?: number
    }
    const last = body.messages.at(-1)?.content ?? ""
    return {
      body: completion(`echo: ${last}`, {
        model: body.model,
        ...(body.logprobs === undefined ? {} : { logprobs: body.logprobs }),
        ...(body.top_logprobs === undefined ? {} : { topLogprobs: body.top_logprobs }),
      }),
    }
  }
  if (request.method === "POST" && request.path === "/v1/audio/transcriptions") {
    const parts = parseMultipart(String(request.headers["content-type"]), request.body)
    const file = parts.find((p) => p.name === "file")
    const model = parts.find((p) => p.name === "model")?.data.toString()
    if (file === undefined || model === undefined) {
      return { status: 400, body: apiError("file and model are required") }
    }
    // gpt-4o-transcribe bills tokens; whisper-1 bills seconds of audio.
    return {
      body: model.startsWith("gpt-")
        ? {
            text: `heard ${file.data.length} bytes`,
            usage: {
              type: "tokens",
              input_tokens: 40,
              input_token_details: { text_tokens: 0, audio_tokens: 40 },
              output_tokens: 6,
              total_tokens: 46,
            },
          }
        : { text: `heard ${file.data.length} bytes`, usage: { type: "duration", seconds: 90 } },
    }
  }
  return { status: 404, body: apiError(`Unknown request URL: ${request.method} ${request.path}`) }
}

const send = (res: ServerResponse, reply: Reply) => {
  const json = typeof reply.body !== "string"
  res.writeHead(reply.status ?? 200, {
    ...(json ? { "content-type": "application/json" } : {}),
    ...reply.headers,
  })
  res.end(reply.body === undefined ? "" : json ? JSON.stringify(reply.body) : reply.body)
}

export const startServer = async (initial?: Script): Promise<TestServer> => {
  let script = initial
  const received: Array<Received> = []
  const counts = new Map<string, number>()
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const request: Received = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      }
      received.push(request)
      const n = counts.get(request.path) ?? 0
      counts.set(request.path, n + 1)
      let reply: Reply
      try {
        reply = script?.(request, n) ?? defaultReply(request)
      } catch (e) {
        reply = { status: 500, body: apiError(String(e), "server_error") }
      }
      if (reply.delayMs === undefined) send(res, reply)
      else {
        const timer = setTimeout(() => send(res, reply), reply.delayMs)
        res.on("close", () => clearTimeout(timer))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    received,
    script: (next) => {
      script = next
      counts.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
