/**
 * The dev server's telemetry ingest: bearer-token auth, each event checked,
 * stored once per id in an append-only JSONL file flushed to disk before
 * the device is answered (so an acknowledged event is never lost), and a
 * retried batch answered as the first time. On start it reads the ids
 * already stored, so duplicates are caught across restarts; a torn last
 * line (a crash mid-write) is ignored.
 */
import { open, readFile } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Schema } from "effect"
import type { TelemetryOptions } from "./DevServer.js"

const Event = Schema.Struct({
  id: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  kind: Schema.Literals(["counter", "sample"]),
  name: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  at: Schema.String,
  value: Schema.optionalKey(Schema.Number.check(Schema.isFinite())),
  attributes: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Number, Schema.Boolean])),
  ),
  payload: Schema.optionalKey(Schema.Json),
})

const Batch = Schema.Struct({
  deviceId: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  events: Schema.Array(Event).check(Schema.isMaxLength(10_000)),
})

/** Answers with a JSON body. */
export const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))

/**
 * The body, or "too large" past `limit`: the rest is read and discarded so
 * the client gets the 413 rather than a reset, up to 4× the limit.
 */
const readBody = (request: IncomingMessage, limit: number) =>
  new Promise<Buffer | "too large">((done, fail) => {
    const parts: Array<Buffer> = []
    let size = 0
    request.on("data", (part: Buffer) => {
      size += part.length
      if (size <= limit) parts.push(part)
      else if (size > 4 * limit) request.destroy()
    })
    request.on("end", () => done(size > limit ? "too large" : Buffer.concat(parts)))
    request.on("error", fail)
    request.on("close", () => {
      if (!request.complete) fail(new Error("the request was cut"))
    })
  })

export const start = async (options: TelemetryOptions) => {
  const seen = new Set<string>()
  const existing = await readFile(options.file).catch(() => Buffer.alloc(0))
  // A line a crash tore was never answered 2xx (the answer follows the
  // fsync): cut it, or the next append would join it and be lost with it.
  let size = existing.lastIndexOf(0x0a) + 1
  for (const line of existing.subarray(0, size).toString("utf8").split("\n")) {
    try {
      const id = (JSON.parse(line) as { event?: { id?: unknown } }).event?.id
      if (typeof id === "string") seen.add(id)
    } catch {}
  }
  const file = await open(options.file, "a")
  if (size < existing.length) {
    await file.truncate(size)
    await file.sync()
  }
  /** Answers of recent batches by Idempotency-Key. */
  const answered = new Map<string, { accepted: number; duplicates: number }>()
  /** Writes take turns: two batches carrying one id must not both store it. */
  let queue = Promise.resolve()
  /** Events received again (an id already stored): answered, not stored. */
  let duplicates = 0
  const limit = options.maxBodyBytes ?? 8_000_000

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST") {
      response.writeHead(405, { allow: "POST" }).end()
      return
    }
    const auth = request.headers.authorization ?? ""
    const token = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : undefined
    if (token === undefined || !options.tokens.includes(token)) {
      json(response, 401, { error: "a valid `Authorization: Bearer <token>` is required" })
      return
    }
    const body = await readBody(request, limit)
    if (body === "too large") {
      json(response, 413, { error: `the body is over ${limit} bytes: send smaller batches` })
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString("utf8"))
    } catch {
      json(response, 400, { error: "the body is not JSON" })
      return
    }
    const decoded = Schema.decodeUnknownResult(Batch)(parsed)
    if (decoded._tag === "Failure") {
      json(response, 400, {
        error: `not a telemetry batch { deviceId, events }: ${decoded.failure.message.replace(/\n\s*/g, " ")}`,
      })
      return
    }
    const key = request.headers["idempotency-key"]
    const run = queue.then(async () => {
      const known = typeof key === "string" ? answered.get(key) : undefined
      if (known !== undefined) {
        duplicates += decoded.success.events.length
        return known
      }
      const received = new Date().toISOString()
      const fresh = decoded.success.events.filter((e) => !seen.has(e.id))
      const unique = [...new Map(fresh.map((e) => [e.id, e])).values()]
      if (unique.length > 0) {
        const lines = Buffer.from(
          unique
            .map(
              (event) =>
                `${JSON.stringify({ deviceId: decoded.success.deviceId, received, event })}\n`,
            )
            .join(""),
        )
        try {
          await file.appendFile(lines)
          await file.sync()
        } catch (e) {
          // Not answered 2xx: the device sends the batch again, so what was
          // written of it goes (and the next batch does not join a torn line).
          await file.truncate(size).catch(() => {})
          throw e
        }
        size += lines.length
        for (const e of unique) seen.add(e.id)
      }
      const result = {
        accepted: unique.length,
        duplicates: decoded.success.events.length - unique.length,
      }
      duplicates += result.duplicates
      if (typeof key === "string") {
        answered.set(key, result)
        if (answered.size > 10_000) answered.delete(answered.keys().next().value!)
      }
      return result
    })
    queue = run.then(
      () => {},
      () => {},
    )
    json(response, 200, await run)
  }

  return {
    answer,
    stored: () => seen.size,
    duplicates: () => duplicates,
    // After the writes under way: a batch being stored is stored whole.
    close: () => queue.then(() => file.close()),
  }
}
