/**
 * The labelling cache: a JSONL file, one labelled item per line, appended
 * as answers arrive. A line is written with one `write`, so a killed job
 * leaves at most its last line cut short; opening the file drops such a
 * line (cutting the file back to its last newline, so that the next line
 * does not glue onto it) and never touches the lines before it.
 *
 * Node only (it reads and writes files).
 */
import { createHash } from "node:crypto"
import { type FileHandle, mkdir, open as openFile } from "node:fs/promises"
import { dirname } from "node:path"
import { Effect, Result, Schema, type Scope, Semaphore } from "effect"
import type { Teacher } from "../teacher/Teacher.js"
import { LabelCacheError } from "./LabelJobErrors.js"

const Entry = Schema.Struct({
  /** `keyOf(teacher, text)`: what the trainer looks an example up by. */
  key: Schema.String,
  id: Schema.String,
  /** The teacher's id. */
  teacher: Schema.String,
  /** The teacher's labels: the order of `probabilities`. */
  labels: Schema.Array(Schema.String),
  /** The most probable label. */
  label: Schema.String,
  probabilities: Schema.Array(Schema.Number),
  source: Schema.Literals(["logprobs", "json", "model"]),
  usage: Schema.Struct({ promptTokens: Schema.Number, completionTokens: Schema.Number }),
  /** When the answer arrived, ISO 8601. */
  time: Schema.String,
  /** The text itself, when the job was asked to keep it (`storeText`). */
  text: Schema.optionalKey(Schema.String),
})

/** One line of the cache: a labelled item. */
export type Entry = typeof Entry.Type

const decodeEntry = Schema.decodeUnknownResult(Entry)

/**
 * The cache key of a text for a teacher: hex sha256 over the teacher's id,
 * its labels and the text, so another teacher, or the same one with other
 * labels, never reads this answer.
 */
export const keyOf = (teacher: Pick<Teacher, "id" | "labels">, text: string): string =>
  createHash("sha256")
    .update(JSON.stringify([teacher.id, teacher.labels, text]))
    .digest("hex")

const NEWLINE = 0x0a
const CHUNK = 1 << 16

type Scanned =
  | { readonly kind: "line"; readonly text: string; readonly number: number }
  | {
      readonly kind: "end"
      /** Where the last newline ends. */
      readonly completeBytes: number
      /** What follows it: a last line without its newline, or "". */
      readonly tail: string
      readonly number: number
    }

/**
 * The complete lines of a file, then where the complete part ends and what
 * follows it. Bytes, not text, are split: 0x0A never occurs
 * inside a UTF-8 sequence, so every line decodes on its own.
 */
async function* scan(handle: FileHandle): AsyncGenerator<Scanned> {
  const decoder = new TextDecoder()
  const buffer = new Uint8Array(CHUNK)
  let pending: Array<Uint8Array> = []
  let position = 0
  let completeBytes = 0
  let number = 0
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK, position)
    if (bytesRead === 0) break
    const chunk = buffer.subarray(0, bytesRead)
    let start = 0
    for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, start)) {
      pending.push(chunk.slice(start, i))
      const line = pending.length === 1 ? (pending[0] as Uint8Array) : concat(pending)
      pending = []
      number++
      completeBytes = position + i + 1
      yield { kind: "line", text: decoder.decode(line), number }
      start = i + 1
    }
    if (start < bytesRead) pending.push(chunk.slice(start))
    position += bytesRead
  }
  yield { kind: "end", completeBytes, tail: decoder.decode(concat(pending)), number: number + 1 }
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * A last line without its newline, as an entry when it is a whole one (a
 * file written by hand); `undefined` when it was cut short by a kill.
 */
const parseTail = (path: string, tail: string, number: number): Entry | undefined => {
  if (tail.trim() === "") return undefined
  try {
    return parseLine(path, tail, number)
  } catch {
    return undefined
  }
}

/** A complete line as an entry; blank lines are `undefined`; anything else is an error naming the line. */
const parseLine = (path: string, text: string, number: number): Entry | undefined => {
  if (text.trim() === "") return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new LabelCacheError({
      path,
      message: `${path}:${number} is not JSON; the labelling cache holds one JSON object per line (was the file edited or written by something else?)`,
    })
  }
  const decoded = decodeEntry(json)
  if (Result.isFailure(decoded)) {
    throw new LabelCacheError({
      path,
      message: `${path}:${number} is not a labelled item: ${decoded.failure.message.replace(/\s+/g, " ")}`,
    })
  }
  return decoded.success
}

const failure = (path: string, doing: string) => (e: unknown) =>
  e instanceof LabelCacheError
    ? e
    : new LabelCacheError({
        path,
        message: `cannot ${doing} the labelling cache ${path}: ${e instanceof Error ? e.message : String(e)}`,
      })

/**
 * The entries of a cache file, in file order, read as a stream (one chunk
 * in memory at a time). A last line cut short by a kill is skipped; any
 * other line that is not an entry rejects with `LabelCacheError`. If two
 * jobs shared a file, a key may appear twice, with equivalent answers.
 */
export async function* entries(path: string): AsyncGenerator<Entry> {
  let handle: FileHandle
  try {
    handle = await openFile(path, "r")
  } catch (e) {
    throw failure(path, "open")(e)
  }
  try {
    for await (const scanned of scan(handle)) {
      const entry =
        scanned.kind === "line"
          ? parseLine(path, scanned.text, scanned.number)
          : parseTail(path, scanned.tail, scanned.number)
      if (entry !== undefined) yield entry
    }
  } catch (e) {
    throw failure(path, "read")(e)
  } finally {
    await handle.close()
  }
}

export interface Writer {
  /** Whether the file has an answer under `key` (read at open, or appended since). */
  readonly has: (key: string) => boolean
  /** How many distinct keys the file held when opened. */
  readonly opened: number
  /** Whether opening dropped a last line cut short (a killed job's). */
  readonly droppedPartialLine: boolean
  /** Appends one entry as one line; finishes even if interrupted, so no line is left half written. */
  readonly append: (entry: Entry) => Effect.Effect<void, LabelCacheError>
}

/**
 * Opens (or creates) a cache file for appending, reading the keys it holds
 * first. Closed with the scope.
 */
export const open = (path: string): Effect.Effect<Writer, LabelCacheError, Scope.Scope> =>
  Effect.gen(function* () {
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await mkdir(dirname(path), { recursive: true })
          return openFile(path, "a+")
        },
        catch: failure(path, "open"),
      }),
      (h) => Effect.promise(() => h.close()),
    )
    const { keys, droppedPartialLine } = yield* Effect.tryPromise({
      try: async () => {
        const keys = new Set<string>()
        for await (const scanned of scan(handle)) {
          if (scanned.kind === "line") {
            const entry = parseLine(path, scanned.text, scanned.number)
            if (entry !== undefined) keys.add(entry.key)
          } else if (scanned.tail !== "") {
            const whole = parseTail(path, scanned.tail, scanned.number)
            if (whole !== undefined) {
              // A whole entry that only lacks its newline is kept.
              keys.add(whole.key)
              await handle.appendFile("\n")
              return { keys, droppedPartialLine: false }
            }
            // Cut back to the last newline, so the next line starts on a line of its own.
            await handle.truncate(scanned.completeBytes)
            return { keys, droppedPartialLine: true }
          }
        }
        return { keys, droppedPartialLine: false }
      },
      catch: failure(path, "read"),
    })
    const opened = keys.size
    // One line at a time: each append is then one whole line at the end.
    const lock = yield* Semaphore.make(1)
    return {
      has: (key) => keys.has(key),
      opened,
      droppedPartialLine,
      append: (entry) =>
        Effect.tryPromise({
          try: () => handle.appendFile(`${JSON.stringify(entry)}\n`),
          catch: failure(path, "write to"),
        }).pipe(
          Effect.tap(() => Effect.sync(() => keys.add(entry.key))),
          (write) => lock.withPermit(write),
          Effect.uninterruptible,
        ),
    } satisfies Writer
  })
