/**
 * The file store's state as a journal: an append-only file of lines, each
 * `<crc32 of the JSON, 8 hex digits> <JSON {"seq", "state"}>\n`, flushed
 * (fdatasync) before `commit` returns. The state is the last intact line.
 * A crash mid-append leaves a torn last line (no newline yet, or bytes that
 * fail their checksum), so recovery takes the line before it: the previous
 * commit. Opening cuts a torn tail off, so the next append cannot glue a
 * good line onto a broken one; an append that fails (a full disk) is cut
 * off at once. Cutting is a truncation, which needs no free space: a store
 * on a full disk still opens.
 *
 * Why a journal rather than one state file renamed over on every commit:
 * an append costs one flush of one file, where a rename costs a flush of a
 * temporary file and one of the directory, and its durability rests on
 * that directory flush; and the checksum finds a torn append on any
 * filesystem, including one that leaves zeros or stale bytes after a power
 * cut. Every `COMPACT_AFTER` commits, the commit instead writes a fresh
 * journal holding only the new state and renames it over the old one: a
 * crash in the middle leaves the old journal (the previous state) or the
 * new one, as a crash mid-append does.
 */
import { type FileHandle, open as openFile, readFile } from "node:fs/promises"
import { crc32 } from "node:zlib"
import * as Store from "../Store.js"
import * as Durable from "./Durable.js"
import { isMissing } from "./FsFailure.js"

/** Lines kept before the journal is rewritten with the current state alone (~1 KB each). */
export const COMPACT_AFTER = 256

export interface Committed {
  /** 0 for the empty state of a new store, then 1, 2, … one per commit, across compactions. */
  readonly seq: number
  readonly state: Store.State
}

const checksum = (json: string) => crc32(Buffer.from(json, "utf8")).toString(16).padStart(8, "0")

export const encode = (committed: Committed): string => {
  const json = JSON.stringify({ seq: committed.seq, state: committed.state })
  return `${checksum(json)} ${json}\n`
}

const SHA256 = /^[0-9a-f]{64}$/

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isInstalled = (value: unknown) =>
  isObject(value) && typeof value.sha256 === "string" && SHA256.test(value.sha256)

/** A line's record, or undefined when it is torn, damaged, or not a record this store wrote. */
const decodeLine = (line: string): Committed | undefined => {
  const json = line.slice(9)
  if (line[8] !== " " || line.slice(0, 8) !== checksum(json)) return undefined
  let record: unknown
  try {
    record = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!isObject(record) || !Number.isSafeInteger(record.seq) || !isObject(record.state)) {
    return undefined
  }
  const { models, channels } = record.state
  if (!isObject(models) || !isObject(channels)) return undefined
  for (const model of Object.values(models)) {
    if (!isObject(model) || !isInstalled(model.active)) return undefined
    if (model.previous !== undefined && !isInstalled(model.previous)) return undefined
  }
  return { seq: record.seq as number, state: record.state as unknown as Store.State }
}

export interface Recovered {
  /** The last intact record, if any. */
  readonly last: Committed | undefined
  /** Intact lines. */
  readonly lines: number
  /** Where the last intact line ends: bytes after it are a torn tail. */
  readonly intactEnd: number
  readonly size: number
}

/** Reads a journal's bytes as recovery does. */
export const recover = (bytes: Uint8Array): Recovered => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let last: Committed | undefined
  let lines = 0
  let intactEnd = 0
  let start = 0
  while (start < text.length) {
    // The newline is a line's last byte: without it, the append was cut.
    const end = text.indexOf(0x0a, start)
    if (end === -1) break
    const record = decodeLine(text.toString("utf8", start, end))
    if (record !== undefined) {
      last = record
      lines++
      intactEnd = end + 1
    }
    start = end + 1
  }
  return { last, lines, intactEnd, size: text.length }
}

export interface Journal {
  /** The last committed state (seq 0 and `Store.empty` for a new store). */
  readonly current: () => Committed
  /** Makes `state` the current one, durably; on failure the current one stays. */
  readonly commit: (state: Store.State) => Promise<void>
}

export interface Paths {
  readonly file: string
  /** The directory holding `file`, flushed when its entry changes. */
  readonly directory: string
  /** Where the compacted journal is written before its rename. */
  readonly temporaryDirectory: string
}

/** Opens (recovering) the journal at `paths.file`; callers serialize `commit`s. */
export const open = async (paths: Paths): Promise<Journal> => {
  const bytes = await readFile(paths.file).catch((e: unknown) =>
    isMissing(e) ? undefined : Promise.reject(e),
  )
  const recovered = bytes === undefined ? undefined : recover(bytes)
  let current: Committed = recovered?.last ?? { seq: 0, state: Store.empty }
  let lines = recovered?.lines ?? 0
  let exists = bytes !== undefined
  // The file's length up to its last intact line; `torn` when bytes may follow it.
  let intactSize = recovered?.intactEnd ?? 0
  let torn = recovered !== undefined && recovered.intactEnd < recovered.size

  /** Cuts a torn tail off in place: needs no free space, so a full disk cannot stop it. */
  const cut = async (handle: FileHandle) => {
    await handle.truncate(intactSize)
    await handle.datasync()
    torn = false
  }

  const append = async (line: string) => {
    const handle = await openFile(paths.file, "a")
    try {
      if (torn) await cut(handle)
      torn = true
      try {
        await Durable.writeAll(handle, Buffer.from(line, "utf8"))
        // fdatasync also flushes the file's new length, which reading the line back needs.
        await handle.datasync()
      } catch (e) {
        // A full disk writes part of the line: take it back now (a crash
        // before this does the same at the next open).
        await cut(handle).catch(() => {})
        throw e
      }
      torn = false
    } finally {
      await handle.close()
    }
    intactSize += Buffer.byteLength(line, "utf8")
    lines++
    if (!exists) {
      // The journal's own name must outlive a power cut too.
      await Durable.syncDirectory(paths.directory)
      exists = true
    }
  }

  /** Compaction: a fresh journal holding `committed` alone, renamed over the old one. */
  const rewrite = async (committed: Committed) => {
    const line = encode(committed)
    await Durable.writeFile(paths.file, line, {
      temporaryDirectory: paths.temporaryDirectory,
      label: "journal",
      syncDirectory: paths.directory,
    })
    lines = 1
    intactSize = Buffer.byteLength(line, "utf8")
    torn = false
    exists = true
  }

  if (torn) {
    // Now, so the file on disk is whole again; should it fail (a read-only
    // disk), the state is still read right, and the next append cuts first.
    await openFile(paths.file, "r+")
      .then(async (handle) => {
        try {
          await cut(handle)
        } finally {
          await handle.close()
        }
      })
      .catch(() => {})
  }

  return {
    current: () => current,
    commit: async (state) => {
      // What a restart would read back (JSON drops undefined fields), and no
      // longer the caller's object, which it may go on to change.
      const next: Committed = {
        seq: current.seq + 1,
        state: JSON.parse(JSON.stringify(state)) as Store.State,
      }
      if (lines >= COMPACT_AFTER) await rewrite(next)
      else await append(encode(next))
      current = next
    },
  }
}
