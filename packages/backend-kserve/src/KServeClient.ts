/**
 * The HTTP side of the KServe v2 protocol: model metadata, model readiness
 * and inference, sent with `fetch` (so the client runs in browsers and Node
 * alike), each request under a timeout. Every failure is a
 * `KServeRequestError` whose message names the server, the request, and what
 * the server answered or why it could not be reached.
 */
import type { Tensor } from "@edgeline/core"
import { KServeRequestError } from "./Errors.js"
import * as KServeProtocol from "./KServeProtocol.js"

export interface Options {
  /** The server's base URL, e.g. `http://localhost:8000` (Triton's and MLServer's HTTP port). */
  readonly url: string
  /** Sent with every request, e.g. `{ authorization: "Bearer …" }`. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Longest one request may take, answer included; default 30 000 ms. */
  readonly timeoutMs?: number | undefined
  /** The `fetch` to use (default: the global one), e.g. one that adds tracing. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

export const DEFAULT_TIMEOUT_MS = 30_000

export interface Client {
  /** The server's URL as given, less any credentials: for messages and `provider`. */
  readonly url: string
  readonly metadata: (
    name: string,
    version?: string | undefined,
  ) => Promise<KServeProtocol.ModelMetadata>
  /** Resolves when the model (version) is ready; rejects saying what the server answered otherwise. */
  readonly ready: (name: string, version?: string | undefined) => Promise<void>
  readonly infer: (
    name: string,
    version: string | undefined,
    feeds: Tensor.Feeds,
  ) => Promise<KServeProtocol.InferResponse>
}

/** The URL without a trailing slash, and without credentials for showing. */
const parseUrl = (url: string): { readonly base: string; readonly shown: string } => {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  // "localhost:8000" parses, as a URL of scheme "localhost:".
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new KServeRequestError({
      message: `"${url}" is not an http(s) URL; give the server's base URL, e.g. http://localhost:8000`,
      status: undefined,
    })
  }
  const base = url.replace(/\/+$/, "")
  parsed.username = ""
  parsed.password = ""
  return { base, shown: parsed.href.replace(/\/+$/, "") }
}

/** Why `fetch` itself failed: Node puts the system error (ECONNREFUSED…) in `cause`. */
const reason = (e: unknown): string => {
  const message = e instanceof Error ? e.message : String(e)
  const code = (e as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return typeof code === "string" ? `${message} (${code})` : message
}

export const make = (options: Options): Client => {
  const { base, shown } = parseUrl(options.url)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const fetchFn = options.fetch ?? globalThis.fetch

  /** One request; resolves with the body of a 200 answer. */
  const request = async (method: "GET" | "POST", path: string, body?: string): Promise<string> => {
    const call = `${method} ${path}`
    let status: number
    let statusText: string
    let text: string
    try {
      const response = await fetchFn(`${base}${path}`, {
        method,
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        ...(body === undefined ? {} : { body }),
        // Covers reading the body too: a server that stalls mid-answer times out as well.
        signal: AbortSignal.timeout(timeoutMs),
      })
      ;({ status, statusText } = response)
      text = await response.text()
    } catch (e) {
      throw new KServeRequestError({
        status: undefined,
        message:
          (e as { name?: unknown } | undefined)?.name === "TimeoutError"
            ? `the KServe server at ${shown} did not answer ${call} within ${timeoutMs} ms`
            : `cannot reach the KServe server at ${shown} (${call}): ${reason(e)}; is it running, and is the URL right?`,
      })
    }
    if (status !== 200) {
      const said = KServeProtocol.errorMessage(text)
      throw new KServeRequestError({
        status,
        message: `the KServe server at ${shown} answered ${call} with ${status}${statusText ? ` ${statusText}` : ""}: ${
          said === undefined
            ? text === ""
              ? "(no body)"
              : KServeProtocol.excerpt(text)
            : JSON.stringify(said)
        }`,
      })
    }
    return text
  }

  return {
    url: shown,
    metadata: async (name, version) =>
      KServeProtocol.decodeModelMetadata(
        await request("GET", KServeProtocol.modelPath(name, version)),
      ),
    ready: async (name, version) => {
      await request("GET", KServeProtocol.readyPath(name, version))
    },
    infer: async (name, version, feeds) => {
      // Encoded before the request: a tensor JSON cannot carry fails here, naming the input.
      const body = JSON.stringify(KServeProtocol.inferRequest(feeds))
      return KServeProtocol.decodeInferResponse(
        await request("POST", KServeProtocol.inferPath(name, version), body),
      )
    },
  }
}
