/**
 * A chaos proxy on loopback: it forwards every request (method, path,
 * headers, body) to one origin and breaks some of the answers the way flaky
 * links, overloaded hosts and bad middleboxes do, so the sync client can be
 * tested against them without a real bad network.
 *
 *   const proxy = await ChaosProxy.start({
 *     target: origin.url,
 *     seed: 7,
 *     faults: [{ path: ChaosProxy.blobs, probability: 0.2, fault: { kind: "cut" } }],
 *   })
 *   … fetch(`${proxy.url}/blobs/sha256/…`) …
 *   proxy.setFaults([]) // the faults stop: convergence can be checked
 *   proxy.stats()       // what was injected, and the body bytes served
 *
 * Choices are reproducible. Each request draws from its own generator, seeded
 * by the seed, its method and path, and how many times that method and path
 * were asked before. So the same seed and the same requests give the same
 * faults with the same offsets, even when concurrent downloads of different
 * blobs arrive in another order from one run to the next.
 *
 * The origin's answer is read whole before anything is sent: every fault
 * then knows the body's length (a cut at a random offset, a prefix of the
 * manifest), and registry files are small (manifests, ~64 KiB chunks).
 * Node built-ins only, so it runs wherever the tests do.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from "node:http"
import { type AddressInfo, connect, type Socket } from "node:net"
import { random } from "./random.mjs"

/**
 * The body cut: the connection closes after `at` bytes (random within the
 * body by default), under the Content-Length of the whole.
 */
export interface Cut {
  readonly kind: "cut"
  readonly at?: number
}

/** An error status sent without asking the origin, as an overloaded host or CDN answers. */
export interface Status {
  readonly kind: "status"
  readonly status: 500 | 503
  /** Seconds, sent as `Retry-After`. */
  readonly retryAfter?: number
}

/**
 * Nothing sent for `ms`: before the headers (`at: "headers"`) or after `at`
 * bytes of the body (random by default); then the rest (`after`'s default)
 * or a cut.
 */
export interface Stall {
  readonly kind: "stall"
  readonly ms: number
  readonly at?: "headers" | number
  readonly after?: "continue" | "cut"
}

/** `bytes` distinct bytes of the body flipped (default 1); length and headers unchanged. */
export interface Corrupt {
  readonly kind: "corrupt"
  readonly bytes?: number
}

/**
 * A prefix of the body (`at` bytes, random by default) with a matching
 * Content-Length: a complete, valid HTTP answer that a careless client would
 * store. Meant for manifests (see `manifests`): the prefix always ends before
 * the document's last non-blank byte, so a JSON object never parses.
 */
export interface Truncate {
  readonly kind: "truncate"
  readonly at?: number
}

/**
 * A Content-Length `by` bytes off the body (random by default) and the
 * connection closed after the body. `"more"`: the connection ends short of
 * the declared length, and the client must fail. `"fewer"`: HTTP delimits the body by the header,
 * so the client silently gets a short body; only a size or hash check notices.
 */
export interface WrongLength {
  readonly kind: "wrongLength"
  readonly declare: "more" | "fewer"
  readonly by?: number
}

/**
 * The request cut: the origin gets the headers and `at` bytes of the body
 * (random within it by default, never all of it), then both connections
 * close, as a link that drops mid-upload. The origin never answers, and the
 * client's request fails. A request without a body (or of one byte) is cut
 * before it reaches the origin.
 */
export interface CutRequest {
  readonly kind: "cutRequest"
  readonly at?: number
}

export type Fault = Cut | Status | Stall | Corrupt | Truncate | WrongLength | CutRequest
export type Kind = Fault["kind"]

/**
 * When a fault is injected. Every rule whose `path` matches a request (the
 * URL path with its query; all requests when absent) counts it; the first
 * rule that fires gives the request's fault. A rule fires on the requests
 * listed in `on` (0-based, counted among the requests it matches, in arrival
 * order), and otherwise with `probability` (default 0).
 */
export interface Rule {
  readonly fault: Fault
  readonly path?: RegExp
  readonly probability?: number
  readonly on?: ReadonlyArray<number>
}

/** Manifest and blob paths of a registry (see src/Layout.ts), wherever it is mounted. */
export const manifests: RegExp = /\/channels\/[^/?]+\.json(?:\?|$)/
export const blobs: RegExp = /\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]+(?:\?|$)/

export interface Options {
  /** The origin, over http, e.g. http://127.0.0.1:41234 (its path, if any, is not used). */
  readonly target: string
  readonly seed: number
  readonly faults?: ReadonlyArray<Rule>
}

/** One injected fault, with the choices made (offsets, lengths), to compare runs. */
export interface Injection {
  readonly method: string
  readonly path: string
  readonly kind: Kind
  readonly detail: string
}

export interface Stats {
  /** Requests received, whether faulted or not. */
  readonly requests: number
  readonly injected: Readonly<Record<Kind, number>>
  /** Response body bytes sent to clients, cut and faulted answers included. */
  readonly bytesServed: number
  /** Every injected fault, in the order it was chosen. */
  readonly log: ReadonlyArray<Injection>
}

export interface ChaosProxy {
  /** e.g. http://127.0.0.1:41235 */
  readonly url: string
  /** Replaces the rules; `setFaults([])` stops all faults. */
  readonly setFaults: (rules: ReadonlyArray<Rule>) => void
  readonly stats: () => Stats
  /** Drops every connection and pending stall. */
  readonly close: () => Promise<void>
}

/** A 32-bit FNV-1a hash of a string: spreads the (seed, request) key over a generator's seed. */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** mulberry32 (support/random.mjs): small, fast and good enough to pick faults; uniform in [0, 1). */
const generator = random

/** Headers that describe one connection, not the message: never passed along. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]
const endToEnd = (headers: IncomingHttpHeaders): IncomingHttpHeaders => {
  const copy = { ...headers }
  for (const name of HOP_BY_HOP) delete copy[name]
  return copy
}

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export const start = async (options: Options): Promise<ChaosProxy> => {
  const target = new URL(options.target)
  // Kept-alive connections to the origin, closed with the proxy.
  const agent = new Agent({ keepAlive: true })
  let rules: Array<{ readonly rule: Rule; seen: number }> = []
  const setFaults = (next: ReadonlyArray<Rule>) => {
    rules = next.map((rule) => ({ rule, seen: 0 }))
  }
  setFaults(options.faults ?? [])
  const asked = new Map<string, number>()
  const injected: Record<Kind, number> = {
    cut: 0,
    status: 0,
    stall: 0,
    corrupt: 0,
    truncate: 0,
    wrongLength: 0,
    cutRequest: 0,
  }
  const log: Array<Injection> = []
  let requests = 0
  let bytesServed = 0
  const stalls = new Set<NodeJS.Timeout>()
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        stalls.delete(timer)
        resolve()
      }, ms)
      stalls.add(timer)
    })

  const choose = (path: string, random: () => number): Fault | undefined => {
    let chosen: Fault | undefined
    for (const armed of rules) {
      if (armed.rule.path !== undefined && !armed.rule.path.test(path)) continue
      const index = armed.seen++
      // Drawn for every matching rule, fired or not, so the draws of a
      // request do not depend on which rule fired before.
      const draw = random()
      const fires = armed.rule.on?.includes(index) || draw < (armed.rule.probability ?? 0)
      if (fires && chosen === undefined) chosen = armed.rule.fault
    }
    return chosen
  }

  const forward = (
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: NodeJS.ReadableStream,
  ) =>
    new Promise<Answer>((resolve, reject) => {
      const upstream = request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method,
          path,
          headers: { ...endToEnd(headers), host: target.host },
          agent,
        },
        (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (chunk: Buffer) => chunks.push(chunk))
          response.on("error", reject)
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: endToEnd(response.headers),
              body: Buffer.concat(chunks),
            }),
          )
        },
      )
      upstream.on("error", reject)
      body.pipe(upstream)
    })

  /**
   * Sends the origin the request's head and the first `at` bytes of its body
   * over a connection of its own, then ends that connection (the origin reads
   * a body that stops short) and drops the client's.
   */
  const cutRequest = async (req: IncomingMessage, at: number) => {
    const prefix: Array<Buffer> = []
    let kept = 0
    await new Promise<void>((resolve) => {
      const enough = () => {
        req.off("data", take)
        resolve()
      }
      const take = (chunk: Buffer) => {
        const part = chunk.subarray(0, at - kept)
        prefix.push(part)
        kept += part.length
        if (kept >= at) enough()
      }
      req.on("data", take)
      req.on("end", enough)
      req.on("error", enough)
    })
    const head = [`${req.method} ${req.url} HTTP/1.1`]
    const headers = { ...endToEnd(req.headers), host: target.host, connection: "close" }
    for (const [name, value] of Object.entries(headers)) {
      for (const one of [value].flat()) if (one !== undefined) head.push(`${name}: ${one}`)
    }
    await new Promise<void>((resolve) => {
      const upstream = connect(Number(target.port || 80), target.hostname, () => {
        upstream.end(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`), ...prefix]))
      })
      upstream.on("close", () => resolve())
      upstream.on("error", () => {})
      // The origin may answer an unfinished request (a 400): not forwarded.
      upstream.resume()
    })
    req.socket.destroy()
  }

  /**
   * Sends `answer`, broken by `fault`. `record` is called as the fault is
   * injected (a stall counts from its start); a fault that does not apply to
   * this answer (a body fault on a 304, a corruption of nothing) is left out.
   */
  const serve = async (
    res: ServerResponse,
    socket: Socket,
    answer: Answer,
    fault: Fault | undefined,
    random: () => number,
    record: (detail: string) => void,
  ): Promise<void> => {
    if (socket.destroyed) return // the client left while the origin answered
    const { status, headers, body } = answer
    const length = body.length
    const hasBody = res.req.method !== "HEAD" && status !== 204 && status !== 304
    const head = (contentLength: number, extra: IncomingHttpHeaders = {}) => {
      if (hasBody) res.writeHead(status, { ...headers, ...extra, "content-length": contentLength })
      else res.writeHead(status, headers)
    }
    const send = (bytes: Buffer) => {
      if (bytes.length === 0) return
      bytesServed += bytes.length
      res.write(bytes)
    }
    const whole = () => {
      head(length)
      if (hasBody) send(body)
      res.end()
    }
    // Ending the socket after what was written, rather than destroying it,
    // sends exactly those bytes and then a FIN; a reset could discard bytes
    // the client had not read yet, and the cut offset would not be exact.
    const cut = () => {
      res.flushHeaders()
      socket.end()
    }
    const offset = (at: number | undefined, within: number) =>
      Math.max(0, Math.min(at ?? Math.floor(random() * within), within))

    if (fault?.kind === "stall" && fault.at === "headers") {
      record(`${fault.ms} ms before the headers, then ${fault.after ?? "continue"}`)
      await sleep(fault.ms)
      if (socket.destroyed) return
      if (fault.after === "cut") socket.end()
      else whole()
      return
    }
    if (fault === undefined || fault.kind === "status" || !hasBody) return whole()
    switch (fault.kind) {
      case "cut": {
        const at = offset(fault.at, length)
        record(`at ${at} of ${length} bytes`)
        head(length)
        send(body.subarray(0, at))
        return cut()
      }
      case "stall": {
        // (A stall before the headers was answered above.)
        const at = offset(typeof fault.at === "number" ? fault.at : undefined, length)
        record(`${fault.ms} ms at ${at} of ${length} bytes, then ${fault.after ?? "continue"}`)
        head(length)
        send(body.subarray(0, at))
        res.flushHeaders()
        await sleep(fault.ms)
        if (socket.destroyed) return
        if (fault.after === "cut") return cut()
        send(body.subarray(at))
        return void res.end()
      }
      case "corrupt": {
        if (length === 0) return whole()
        const count = Math.min(fault.bytes ?? 1, length)
        const positions = new Set<number>()
        while (positions.size < count) positions.add(Math.floor(random() * length))
        const corrupted = Buffer.from(body)
        // XOR with 1..255: the byte always changes.
        for (const at of positions) corrupted[at]! ^= 1 + Math.floor(random() * 255)
        record(`${count} bytes at ${[...positions].sort((a, b) => a - b).join(", ")}`)
        head(length)
        send(corrupted)
        return void res.end()
      }
      case "truncate": {
        // Trailing blanks would let a cut document still parse.
        let content = length
        while (content > 0 && /\s/.test(String.fromCharCode(body[content - 1]!))) content--
        if (content === 0) return whole()
        const at = Math.min(offset(fault.at, content), content - 1)
        record(`${at} of ${length} bytes`)
        head(at)
        send(body.subarray(0, at))
        return void res.end()
      }
      case "wrongLength": {
        if (fault.declare === "fewer" && length === 0) return whole()
        const most = fault.declare === "more" ? Math.max(length, 1) : length
        const by = Math.max(1, Math.min(fault.by ?? 1 + Math.floor(random() * most), most))
        const declared = fault.declare === "more" ? length + by : length - by
        record(`declares ${declared}, sends ${length} bytes`)
        // Closed after the body: "more" then ends in an error rather than a
        // wait, and the extra bytes of "fewer" cannot pose as the next answer.
        head(declared, { connection: "close" })
        send(body)
        return void res.end()
      }
    }
  }

  const server = createServer(async (req, res) => {
    requests++
    const method = req.method ?? "GET"
    const path = req.url ?? "/"
    const socket = req.socket
    // The client may go away mid-answer (an abort, a timeout): its business.
    res.on("error", () => {})
    const key = `${method} ${path}`
    const before = asked.get(key) ?? 0
    asked.set(key, before + 1)
    const random = generator(hash(`${options.seed}\n${key}\n${before}`))
    const fault = choose(path, random)
    const record = (detail: string) => {
      if (fault === undefined) return
      injected[fault.kind]++
      log.push({ method, path, kind: fault.kind, detail })
    }

    if (fault?.kind === "status") {
      const body = Buffer.from(`chaos proxy: ${fault.status}\n`)
      const headers: OutgoingHttpHeaders = {
        "content-type": "text/plain",
        "content-length": body.length,
      }
      if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter)
      res.writeHead(fault.status, headers)
      bytesServed += body.length
      res.end(body)
      record(
        `${fault.status}${fault.retryAfter === undefined ? "" : `, retry-after ${fault.retryAfter}`}`,
      )
      return
    }
    if (fault?.kind === "cutRequest") {
      const length = Number(req.headers["content-length"] ?? 0)
      // At least one byte, and never the last one: the origin must not get a whole request.
      const at =
        length < 2
          ? 0
          : Math.max(1, Math.min(fault.at ?? 1 + Math.floor(random() * (length - 1)), length - 1))
      record(`at ${at} of ${length} bytes`)
      if (at === 0) req.socket.destroy()
      else await cutRequest(req, at)
      return
    }
    let answer: Answer
    try {
      answer = await forward(method, path, req.headers, req)
    } catch (error) {
      res.writeHead(502, { "content-type": "text/plain" })
      res.end(`chaos proxy: the origin failed: ${String(error)}\n`)
      return
    }
    await serve(res, socket, answer, fault, random, record)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    setFaults,
    stats: () => ({ requests, injected: { ...injected }, bytesServed, log: [...log] }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of stalls) clearTimeout(timer)
        stalls.clear()
        server.closeAllConnections()
        server.close(() => resolve())
        agent.destroy()
      }),
  }
}
