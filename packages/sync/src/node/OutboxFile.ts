/**
 * The telemetry outbox's storage in a file, surviving restarts and crashes:
 * an append-only journal of JSON lines (`{"add": event}`, `{"remove": ids}`),
 * each flushed to disk before the call returns, replayed on open (a torn
 * last line, from a crash mid-write, is ignored). When most of the journal
 * is removed events, it is rewritten — a temporary file, flushed, renamed
 * over it — so it stays the size of what is queued.
 */
import { open, readFile, rename, rm } from "node:fs/promises"
import type { Telemetry } from "@edgeline/core"
import { Effect, type Scope } from "effect"
import { StoreError } from "../Errors.js"
import { messageOf } from "../internal/messageOf.js"
import type * as Outbox from "../Outbox.js"

type Line = { readonly add: Telemetry.Event } | { readonly remove: ReadonlyArray<string> }

const replay = (text: string): Array<Telemetry.Event> => {
  const events = new Map<string, Telemetry.Event>()
  for (const line of text.split("\n")) {
    if (line === "") continue
    let parsed: Line
    try {
      parsed = JSON.parse(line) as Line
    } catch {
      continue // a torn write: the call that made it never returned
    }
    if ("add" in parsed) events.set(parsed.add.id, parsed.add)
    else for (const id of parsed.remove) events.delete(id)
  }
  return [...events.values()]
}

/** The storage at `path` (made if missing); its file is closed with the scope. */
export const make = (path: string): Effect.Effect<Outbox.Storage, StoreError, Scope.Scope> =>
  Effect.acquireRelease(opened(path), ({ close }) => Effect.promise(close)).pipe(
    Effect.map(({ storage }) => storage),
  )

const opened = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      await rm(`${path}.tmp`, { force: true })
      const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) =>
        e.code === "ENOENT" ? "" : Promise.reject(e),
      )
      let live = replay(text).length
      let lines = text === "" ? 0 : text.split("\n").length
      let handle = await open(path, "a")
      const append = async (entries: ReadonlyArray<Line>) => {
        await handle.appendFile(entries.map((e) => `${JSON.stringify(e)}\n`).join(""))
        await handle.datasync()
        lines += entries.length
      }
      const rewrite = async (events: ReadonlyArray<Telemetry.Event>) => {
        const temporary = await open(`${path}.tmp`, "w")
        try {
          await temporary.writeFile(events.map((e) => `${JSON.stringify({ add: e })}\n`).join(""))
          await temporary.sync()
        } finally {
          await temporary.close()
        }
        await handle.close()
        await rename(`${path}.tmp`, path)
        handle = await open(path, "a")
        live = events.length
        lines = events.length
      }
      const fail = (what: string) => (e: unknown) =>
        new StoreError({ message: `telemetry outbox ${path}: could not ${what}: ${messageOf(e)}` })
      const storage: Outbox.Storage = {
        load: Effect.tryPromise({
          try: async () => replay(await readFile(path, "utf8")),
          catch: fail("read it"),
        }),
        add: (events) =>
          Effect.tryPromise({
            try: async () => {
              await append(events.map((add) => ({ add })))
              live += events.length
            },
            catch: fail("append"),
          }),
        remove: (ids) =>
          Effect.tryPromise({
            try: async () => {
              await append([{ remove: ids }])
              live -= ids.length
              if (lines > 1000 && lines > 4 * live) {
                await rewrite(replay(await readFile(path, "utf8")))
              }
            },
            catch: fail("record an upload"),
          }),
        replace: (events) =>
          Effect.tryPromise({ try: () => rewrite(events), catch: fail("rewrite") }),
      }
      return { storage, close: () => handle.close() }
    },
    catch: (e) =>
      new StoreError({ message: `telemetry outbox ${path}: could not open it: ${messageOf(e)}` }),
  })
