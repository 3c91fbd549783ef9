/**
 * A small static-file origin on 127.0.0.1 (a free port) for the tests: a few
 * in-memory files served as a static host or CDN serves a registry, with
 * single Range requests (206, 416), strong ETags with If-None-Match (304) and
 * HEAD. It is written apart from `sync serve` (the CLI's development server),
 * so the chaos proxy's tests, and later the client's, do not test a piece of
 * the code under test with itself.
 *
 * Every request is recorded (method, path, headers, body), so a test can see
 * what a proxy in front forwarded. POST is answered with its own body, to
 * show that request bodies pass unchanged.
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Uint8Array
}

export interface StaticOrigin {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  /** Every request received, in order. */
  readonly received: Array<Received>
  readonly close: () => Promise<void>
}

/** An entity tag from the content, so the same bytes keep the same tag across restarts. */
const etagOf = (bytes: Uint8Array): string =>
  `"${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}"`

/**
 * The one range of a `bytes=` header (RFC 9110 §14.1.2: `a-b`, `a-`, `-n`),
 * clamped to the file; `"unsatisfiable"` for a range past its end, and
 * `undefined` for anything this origin does not serve as a range (several
 * ranges, other units): such requests get the whole file, as the RFC allows.
 */
const rangeOf = (
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined => {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/)
  if (!match || (match[1] === "" && match[2] === "")) return undefined
  if (match[1] === "") {
    const suffix = Number(match[2])
    if (suffix === 0) return "unsatisfiable"
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1)
  if (start >= size || end < start) return "unsatisfiable"
  return { start, end }
}

const send = (res: ServerResponse, status: number, headers: Record<string, string>, body = "") => {
  res.writeHead(status, headers)
  res.end(body)
}

/** Serves `files` (path → bytes, paths starting with "/") until `close`. */
export const start = async (files: ReadonlyMap<string, Uint8Array>): Promise<StaticOrigin> => {
  const received: Array<Received> = []
  const server = createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer)
    } catch {
      return // the request was cut before its end: nothing to record or answer
    }
    const body = new Uint8Array(Buffer.concat(chunks))
    const path = new URL(req.url ?? "/", "http://origin").pathname
    received.push({ method: req.method ?? "GET", path, headers: req.headers, body })

    if (req.method === "POST") {
      res.writeHead(200, { "content-type": "application/octet-stream" })
      return res.end(body)
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, { allow: "GET, HEAD, POST" })
    }
    const file = files.get(path)
    if (file === undefined) return send(res, 404, { "content-type": "text/plain" }, "not found")

    const etag = etagOf(file)
    const common = { etag, "accept-ranges": "bytes", "cache-control": "no-cache" }
    if (req.headers["if-none-match"] === etag) return send(res, 304, common)
    const range = rangeOf(req.headers.range, file.length)
    if (range === "unsatisfiable") {
      return send(res, 416, { ...common, "content-range": `bytes */${file.length}` })
    }
    const [status, part, extra] =
      range === undefined
        ? [200, file, {}]
        : [
            206,
            file.subarray(range.start, range.end + 1),
            { "content-range": `bytes ${range.start}-${range.end}/${file.length}` },
          ]
    res.writeHead(status, {
      ...common,
      ...extra,
      "content-type": path.endsWith(".json") ? "application/json" : "application/octet-stream",
      "content-length": String(part.length),
    })
    res.end(req.method === "HEAD" ? undefined : part)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
