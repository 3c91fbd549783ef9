/**
 * The telemetry outbox's storage in a file, surviving restarts and crashes:
 * an append-only journal of lines `<crc32 of the JSON, 8 hex digits>
 * <JSON>\n`, the JSON `{"add": [events]}` or `{"remove": [ids]}`. Each call
 * is one append, flushed to disk (fdatasync) before it returns; the outbox
 * groups the events recorded together into one call, so a flush is paid
 * per group, not per event.
 *
 * On open the journal is replayed. A crash mid-append leaves a torn last
 * line (no newline yet, or bytes that fail their checksum, as a power cut
 * may leave): it is cut off, so the next append cannot glue a good line
 * onto a broken one; the call that wrote it never returned. An append that
 * fails (a full disk) is cut off at once. A file of whole lines none of
 * which is intact is not a journal: it is refused and left alone.
 *
 * The journal is rewritten with only what is queued (a temporary file,
 * flushed, renamed over it, the directory flushed) when removed events make
 * up most of it, and on `replace`; a crash in the middle leaves the old
 * journal or the new one. The queue is also kept in memory, so neither
 * `load` nor the rewrite reads the file again: every call costs the size of
 * its own change, and a rewrite, the size of the queue, comes only after
 * appends of several times that size.
 */
import { type FileHandle, open, readFile, rename, rm } from "node:fs/promises"
import { dirname } from "node:path"
import { crc32 } from "node:zlib"
import type { Telemetry } from "@edgeline/core"
import { Effect, type Scope } from "effect"
import { StoreError } from "../Errors.js"
import { messageOf } from "../internal/messageOf.js"
import type * as Outbox from "../Outbox.js"
import * as Durable from "./Durable.js"
import { isMissing } from "./FsFailure.js"

type Entry =
  | { readonly add: ReadonlyArray<Telemetry.Event> }
  | { readonly remove: ReadonlyArray<string> }

/**
 * The journal is rewritten once it names this many events and ids, and
 * four times as many as are queued: rewrites stay rare, and the file within
 * a few times the size of the queue.
 */
export const COMPACT_AFTER = 4000

/** Events per line of a rewritten journal: a damaged line loses no more than these. */
const EVENTS_PER_LINE = 500

const checksum = (json: string) => crc32(Buffer.from(json, "utf8")).toString(16).padStart(8, "0")

const encode = (entry: Entry): string => {
  const json = JSON.stringify(entry)
  return `${checksum(json)} ${json}\n`
}

const isEntry = (value: unknown): value is Entry => {
  if (typeof value !== "object" || value === null) return false
  const record = value as Record<string, unknown>
  if (Array.isArray(record.remove)) return record.remove.every((id) => typeof id === "string")
  return (
    Array.isArray(record.add) &&
    record.add.every(
      (e: unknown) =>
        typeof e === "object" && e !== null && typeof (e as { id?: unknown }).id === "string",
    )
  )
}

/** A line's entry, or undefined when it is torn or damaged. */
const decodeLine = (line: string): Entry | undefined => {
  const json = line.slice(9)
  if (line[8] !== " " || line.slice(0, 8) !== checksum(json)) return undefined
  try {
    const entry: unknown = JSON.parse(json)
    return isEntry(entry) ? entry : undefined
  } catch {
    return undefined
  }
}

/** Events added and ids removed by an entry: what it adds to the journal's length. */
const weight = (entry: Entry) => ("add" in entry ? entry.add.length : entry.remove.length)

export interface Recovered {
  /** The queue the journal holds, oldest first. */
  readonly events: Map<string, Telemetry.Event>
  /** Events added and ids removed by its intact lines. */
  readonly logged: number
  /** Where the last intact line ends: bytes after it are a torn tail. */
  readonly intactEnd: number
  readonly size: number
}

const apply = (events: Map<string, Telemetry.Event>, entry: Entry) => {
  if ("add" in entry) for (const event of entry.add) events.set(event.id, event)
  else for (const id of entry.remove) events.delete(id)
}

/** Reads a journal's bytes as opening does (without cutting anything). */
export const recover = (bytes: Uint8Array): Recovered => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const events = new Map<string, Telemetry.Event>()
  let logged = 0
  let intactEnd = 0
  let start = 0
  while (start < text.length) {
    // The newline is a line's last byte: without it, the append was cut.
    const end = text.indexOf(0x0a, start)
    if (end === -1) break
    const entry = decodeLine(text.toString("utf8", start, end))
    if (entry !== undefined) {
      apply(events, entry)
      logged += weight(entry)
      intactEnd = end + 1
    }
    start = end + 1
  }
  return { events, logged, intactEnd, size: text.length }
}

/** The storage at `path` (made if missing); its file is closed with the scope. */
export const make = (path: string): Effect.Effect<Outbox.Storage, StoreError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => opened(path),
      catch: (e) =>
        new StoreError({ message: `telemetry outbox ${path}: could not open it: ${messageOf(e)}` }),
    }),
    ({ close }) => Effect.promise(close),
  ).pipe(Effect.map(({ storage }) => storage))

const opened = async (path: string) => {
  const directory = dirname(path)
  const temporary = `${path}.tmp`
  // A rewrite the last run did not finish: the journal itself is still whole.
  await rm(temporary, { force: true })
  const bytes = await readFile(path).catch((e: unknown) =>
    isMissing(e) ? undefined : Promise.reject(e),
  )
  const recovered = bytes === undefined ? undefined : recover(bytes)
  /** What the journal holds: the queue, oldest first. */
  let events = recovered?.events ?? new Map<string, Telemetry.Event>()
  let logged = recovered?.logged ?? 0
  /** The journal's length up to its last intact line. */
  let size = recovered?.intactEnd ?? 0
  if (recovered?.intactEnd === 0 && bytes?.includes(0x0a)) {
    // Whole lines and none of them ours: some other file, left as it is.
    throw new Error("it is not a telemetry outbox journal (no line of it is intact)")
  }
  let handle: FileHandle | undefined = await open(path, "a")
  if (recovered !== undefined && recovered.intactEnd < recovered.size) {
    await handle.truncate(size)
    await handle.datasync()
  }
  // A new journal's name must outlive a power cut too.
  if (bytes === undefined) await Durable.syncDirectory(directory)

  /** Calls take turns: the outbox makes one at a time, but a second writer must not interleave. */
  let tail: Promise<unknown> = Promise.resolve()
  const serially = <A>(work: () => Promise<A>): Promise<A> => {
    const result = tail.then(work, work)
    tail = result.catch(() => {})
    return result
  }

  /** Bytes may follow the last intact line (an append failed and could not be taken back). */
  let torn = false
  const append = async (entry: Entry) => {
    const line = Buffer.from(encode(entry), "utf8")
    handle ??= await open(path, "a")
    if (torn) {
      await handle.truncate(size)
      torn = false
    }
    try {
      await Durable.writeAll(handle, line)
      // fdatasync also flushes the file's new length, which reading the line back needs.
      await handle.datasync()
    } catch (e) {
      // A full disk writes part of the line: take it back now (a crash
      // before this does the same at the next open), or before the next append.
      torn = true
      await handle.truncate(size).then(
        () => {
          torn = false
        },
        () => {},
      )
      throw e
    }
    size += line.length
    logged += weight(entry)
    apply(events, entry)
  }

  /** A rename whose directory entry may not be on disk yet (its flush failed). */
  let directoryDirty = false

  /** The journal holding `next` alone, renamed over the old one. */
  const rewrite = async (next: Map<string, Telemetry.Event>) => {
    const all = [...next.values()]
    let text = ""
    for (let at = 0; at < all.length; at += EVENTS_PER_LINE) {
      text += encode({ add: all.slice(at, at + EVENTS_PER_LINE) })
    }
    const file = await open(temporary, "w")
    try {
      await Durable.writeAll(file, Buffer.from(text, "utf8"))
      await file.sync()
    } finally {
      await file.close()
    }
    await handle?.close()
    handle = undefined
    await rename(temporary, path)
    events = next
    logged = next.size
    size = Buffer.byteLength(text, "utf8")
    torn = false
    // Appends after this go to the new journal: its name must not fall back
    // after a power cut. Until that is durable, no change counts as stored.
    directoryDirty = true
    await Durable.syncDirectory(directory)
    directoryDirty = false
  }

  const compactIfMostlyRemoved = async () => {
    if (logged < COMPACT_AFTER || logged < 4 * events.size) return
    // Not the caller's failure: its change is durable already, and the
    // journal stays whole; the next call tries again.
    await rewrite(new Map(events)).catch(() => {})
  }

  const attempt = (what: string, work: () => Promise<void>) =>
    Effect.tryPromise({
      try: () =>
        serially(async () => {
          if (directoryDirty) {
            await Durable.syncDirectory(directory)
            directoryDirty = false
          }
          await work()
        }),
      catch: (e) =>
        new StoreError({
          message: `telemetry outbox ${path}: could not ${what}: ${messageOf(e)}`,
        }),
    })

  const storage: Outbox.Storage = {
    load: Effect.sync(() => [...events.values()]),
    add: (added) =>
      added.length === 0
        ? Effect.void
        : attempt(`queue ${added.length} events`, () => append({ add: added })),
    remove: (ids) =>
      ids.length === 0
        ? Effect.void
        : attempt(`record ${ids.length} uploaded events`, async () => {
            await append({ remove: ids })
            await compactIfMostlyRemoved()
          }),
    replace: (next) =>
      attempt(`rewrite the queue (${next.length} events)`, () =>
        rewrite(new Map(next.map((e) => [e.id, e]))),
      ),
  }
  return { storage, close: () => serially(async () => handle?.close()) }
}
