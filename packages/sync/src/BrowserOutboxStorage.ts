/**
 * The telemetry outbox's storage in a browser (a page or a Web Worker), on
 * IndexedDB: the queue survives a reload, a closed tab and a browser
 * restart, and the next `Outbox.make` over the same database uploads what
 * the last one left.
 *
 * Events are records in insertion order (an auto-incremented key), with an
 * index on their id for `remove`. Every call is one transaction with
 * `durability: "strict"`, so an event is on disk before `record` returns
 * (as the Node file storage flushes each write), and `replace` (the queue
 * after counters were summed or samples dropped) swaps the whole queue or
 * nothing. Two pages of one app sharing a database may both upload an
 * event; the ingest stores each id once.
 */
import type { Telemetry } from "@edgeline/core"
import { Effect, type Scope } from "effect"
import type { StoreError } from "./Errors.js"
import * as Idb from "./internal/IndexedDb.js"
import type * as Outbox from "./Outbox.js"

const VERSION = 1
const EVENTS = "events"
const BY_ID = "id"

const upgrade = (db: IDBDatabase, oldVersion: number) => {
  if (oldVersion < 1) {
    db.createObjectStore(EVENTS, { autoIncrement: true }).createIndex(BY_ID, "id")
  }
}

export interface Options {
  /** The IndexedDB database (default `edgeline-outbox`). */
  readonly database?: string | undefined
  /** The IndexedDB to use (default: the page's or worker's `indexedDB`), e.g. a Storage Bucket's. */
  readonly indexedDB?: IDBFactory | undefined
}

/** The storage on IndexedDB; the connection closes with the scope. */
export const make = (
  options: Options = {},
): Effect.Effect<Outbox.Storage, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const database = options.database ?? "edgeline-outbox"
    const where = `telemetry outbox "${database}"`
    const db = yield* Effect.acquireRelease(
      Idb.attempt(where, "opening IndexedDB", () =>
        Idb.open(options.indexedDB, database, VERSION, upgrade),
      ),
      (db) => Effect.sync(() => db.close()),
    )
    const write = (what: string, body: (events: IDBObjectStore) => Promise<unknown>) =>
      Effect.asVoid(
        Idb.attempt(where, what, () =>
          Idb.transact(db, [EVENTS], "readwrite", (tx) => body(tx.objectStore(EVENTS)), "strict"),
        ),
      )
    const addAll = (store: IDBObjectStore, events: ReadonlyArray<Telemetry.Event>) =>
      Promise.all(events.map((event) => Idb.request(store.add(event))))
    return {
      load: Idb.attempt(where, "reading the queue", () =>
        Idb.transact(db, [EVENTS], "readonly", (tx) =>
          Idb.request(tx.objectStore(EVENTS).getAll() as IDBRequest<Array<Telemetry.Event>>),
        ),
      ),
      add: (events) => write(`queueing ${events.length} events`, (store) => addAll(store, events)),
      remove: (ids) =>
        write(`removing ${ids.length} uploaded events`, async (store) => {
          const keys = await Promise.all(
            ids.map((id) => Idb.request(store.index(BY_ID).getAllKeys(id))),
          )
          await Promise.all(keys.flat().map((key) => Idb.request(store.delete(key))))
        }),
      replace: (events) =>
        write(`rewriting the queue (${events.length} events)`, async (store) => {
          await Idb.request(store.clear())
          await addAll(store, events)
        }),
    } satisfies Outbox.Storage
  })
