/**
 * A development server for a registry directory (`edgeline sync serve`):
 * what a static host does, on loopback, so the whole loop runs offline.
 * GET and HEAD of files under the directory with ETags (`If-None-Match` →
 * 304) and byte ranges (`Range` → 206, resuming a cut download); manifests
 * are served `no-cache`, blobs `immutable`. Production registries sit on
 * any static host, CDN or bucket instead.
 *
 * With `telemetry`, it also takes devices' telemetry: `POST /v1/telemetry`
 * with `Authorization: Bearer <token>` and a body `{ deviceId, events }`;
 * each event whose id it has not seen is appended to an append-only JSONL
 * file (and flushed to disk) before the answer `{ accepted, duplicates }`,
 * so a batch retried after a cut is counted once.
 *
 * With `cors`, pages on other origins may use it too (a web app syncing
 * from a registry on another host): every answer carries
 * `Access-Control-Allow-Origin` and exposes the headers the client reads
 * (`ETag` for `If-None-Match`, `Content-Range` to resume), and preflights
 * (`OPTIONS`) are answered with 204 without a token, as browsers send them
 * without credentials. Off by default: a server answering any page's
 * scripts is a choice.
 */
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { resolve, sep } from "node:path"
import * as Ingest from "./TelemetryIngest.js"

export interface TelemetryOptions {
  /** The append-only JSONL file events go to (one line each: { deviceId, received, event }). */
  readonly file: string
  /** Accepted bearer tokens. */
  readonly tokens: ReadonlyArray<string>
  /** Largest request body (default 8 MB). */
  readonly maxBodyBytes?: number | undefined
}

/** `true`: any origin; a list: only those origins (echoed, with `Vary: Origin`). */
export type CorsOptions = boolean | { readonly origins: ReadonlyArray<string> }

export interface Options {
  readonly directory: string
  readonly telemetry?: TelemetryOptions | undefined
  /** Lets browsers on other origins fetch the registry and post telemetry. Off by default. */
  readonly cors?: CorsOptions | undefined
  /** Default: any free port. */
  readonly port?: number | undefined
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
}

export interface Stats {
  readonly requests: number
  /** Telemetry events stored (unique ids). */
  readonly events: number
  /** Telemetry events received again (ids already stored: a retried upload), counted and not stored. */
  readonly duplicates: number
  /** Body bytes sent (what a device fetched). */
  readonly bytesSent: number
  readonly notModified: number
}

export interface DevServer {
  readonly url: string
  readonly stats: () => Stats
  readonly close: () => Promise<void>
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against `size`: the inclusive range, or "unsatisfiable". */
const parseRange = (
  header: string,
  size: number,
): [number, number] | "unsatisfiable" | undefined => {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null || (m[1] === "" && m[2] === "")) return undefined
  let start: number
  let end: number
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]))
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  return start > end || start >= size ? "unsatisfiable" : [start, end]
}

/** What a browser may read of an answer besides the CORS-safelisted headers. */
const EXPOSED_HEADERS = "etag, content-range, content-length, accept-ranges"

/** What a preflight allows when it names nothing: what the sync client and the outbox send. */
const ALLOWED_HEADERS = "authorization, content-type, idempotency-key, if-none-match, range"

/**
 * Sets the CORS headers `request` earns; true when it was a preflight and
 * has been answered.
 */
const corsAnswered = (
  cors: CorsOptions | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): boolean => {
  if (cors === undefined || cors === false) return false
  const origin = request.headers.origin
  const allowed =
    cors === true ? "*" : origin !== undefined && cors.origins.includes(origin) ? origin : undefined
  if (allowed !== undefined) {
    response.setHeader("access-control-allow-origin", allowed)
    response.setHeader("access-control-expose-headers", EXPOSED_HEADERS)
  }
  if (cors !== true) response.setHeader("vary", "Origin")
  if (request.method !== "OPTIONS") return false
  response
    .writeHead(204, {
      "access-control-allow-methods": "GET, HEAD, POST, OPTIONS",
      "access-control-allow-headers":
        request.headers["access-control-request-headers"] ?? ALLOWED_HEADERS,
      "access-control-max-age": "600",
    })
    .end()
  return true
}

export const start = async (options: Options): Promise<DevServer> => {
  const root = resolve(options.directory)
  let requests = 0
  let bytesSent = 0
  let notModified = 0
  const ingest = options.telemetry === undefined ? undefined : await Ingest.start(options.telemetry)
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    requests++
    if (corsAnswered(options.cors, request, response)) return
    if (request.url?.split("?")[0] === "/v1/telemetry") {
      if (ingest === undefined) {
        Ingest.json(response, 404, {
          error: "telemetry ingest is off: start the server with a token",
        })
      } else {
        await ingest.answer(request, response)
      }
      return
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end()
      return
    }
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)
    const file = resolve(root, `.${path}`)
    if (!file.startsWith(root + sep)) {
      response.writeHead(404).end()
      return
    }
    const bytes = await readFile(file).catch(() => undefined)
    if (bytes === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n")
      return
    }
    const etag = `"${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}"`
    const headers = {
      etag,
      "accept-ranges": "bytes",
      "cache-control": path.startsWith("/blobs/")
        ? "public, max-age=31536000, immutable"
        : "no-cache",
      "content-type": path.endsWith(".json") ? "application/json" : "application/octet-stream",
    }
    if (request.headers["if-none-match"] === etag) {
      notModified++
      response.writeHead(304, headers).end()
      return
    }
    const range =
      request.headers.range === undefined
        ? undefined
        : parseRange(request.headers.range, bytes.length)
    if (range === "unsatisfiable") {
      response.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end()
      return
    }
    const [from, to] = range ?? [0, bytes.length - 1]
    const body = bytes.subarray(from, to + 1)
    response.writeHead(range === undefined ? 200 : 206, {
      ...headers,
      "content-length": String(body.length),
      ...(range === undefined ? {} : { "content-range": `bytes ${from}-${to}/${bytes.length}` }),
    })
    if (request.method === "HEAD") {
      response.end()
      return
    }
    bytesSent += body.length
    response.end(body)
  }
  const server = createServer((request, response) => {
    answer(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  await new Promise<void>((ready, fail) => {
    server.once("error", fail)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => ready())
  })
  const { port, address } = server.address() as AddressInfo
  const host = address.includes(":") ? `[${address}]` : address
  return {
    url: `http://${host}:${port}/`,
    stats: () => ({
      requests,
      bytesSent,
      notModified,
      events: ingest?.stored() ?? 0,
      duplicates: ingest?.duplicates() ?? 0,
    }),
    close: async () => {
      await new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      })
      await ingest?.close()
    },
  }
}
