/**
 * The `Store` in a browser (a page or a Web Worker), on IndexedDB alone.
 *
 * Why IndexedDB and not OPFS for the model bytes: the contract needs
 * writes that are all-or-nothing across several records — a state is
 * committed only if every model it names is there, and `collect` must not
 * delete a model between that check and the commit. One IndexedDB
 * transaction gives exactly that, for the state and the bytes alike. OPFS
 * is faster for big files, but has no transaction spanning files (the
 * state would still need IndexedDB, and the two could disagree after a
 * crash), and its synchronous access handles exist only in dedicated
 * workers. Chromium keeps IndexedDB Blobs as files of their own beside the
 * database, so big values cost what files cost, not database pages.
 *
 * Layout (database `edgeline-sync` unless named, version 1):
 *
 *   chunks    sha256 → Blob                 a verified chunk
 *   partials  [sha256, offset] → bytes      what a cut download got, piece by piece
 *   models    sha256 → Blob                 a whole model, verified
 *   meta      "state" → State               the last committed state
 *
 * Memory does not grow with the model: `writeModel` hashes the chunks one
 * at a time as it reads them, and the model it stores is a Blob made of
 * the chunks' Blobs, which the browser copies file to file without handing
 * the bytes to JavaScript. `readModel` gives the whole model as bytes,
 * since that is what an inference engine loads; `modelBlob` gives it as a
 * Blob for code that can stream it (or pass `URL.createObjectURL(blob)`).
 *
 * Each append to a partial chunk is a record of its own, written in one
 * transaction: a torn append is lost whole, never half written. The
 * commit and model writes ask for `durability: "strict"`, so once they
 * return the data is on disk, not only in the OS's cache (chunks and
 * partials do not: losing the last of them to a power cut costs a
 * download, never correctness).
 *
 * A quota error (`QuotaExceededError`, usually at commit) is a `StoreError`
 * saying the device is out of storage for this site, with the usage the
 * browser reports; the write it stopped left nothing behind. Browsers may
 * evict a site's storage under pressure unless the app asks for
 * persistence (`navigator.storage.persist()`); the store does not ask
 * itself, since that is the app's choice and may prompt the user.
 */
import { Effect, Layer, type Scope } from "effect"
import { createSHA256 } from "hash-wasm"
import { StoreError } from "./Errors.js"
import { concat } from "./internal/concat.js"
import * as Idb from "./internal/IndexedDb.js"
import * as Store from "./Store.js"

export interface Options {
  /** The IndexedDB database (default `edgeline-sync`); one per store. */
  readonly database?: string | undefined
  /**
   * The IndexedDB to use (default: the page's or worker's `indexedDB`). In
   * Chromium, a Storage Bucket's — `(await
   * navigator.storageBuckets.open("models", { persisted: true })).indexedDB`
   * — gives the models a quota and an eviction of their own, apart from the
   * app's other data.
   */
  readonly indexedDB?: IDBFactory | undefined
}

/** The `Store`, plus the model as a Blob. */
export interface Shape extends Store.Shape {
  /** A verified model as a Blob, without reading it into memory. */
  readonly modelBlob: (sha256: string) => Effect.Effect<Blob | undefined, StoreError>
}

const VERSION = 1
const CHUNKS = "chunks"
const PARTIALS = "partials"
const MODELS = "models"
const META = "meta"
const STATE = "state"

const SHA256 = /^[0-9a-f]{64}$/

const checked = (sha256: string) =>
  SHA256.test(sha256)
    ? Effect.void
    : Effect.fail(new StoreError({ message: `"${sha256}" is not a lowercase hex sha256` }))

const short = (sha256: string) => sha256.slice(0, 12)

/** Every piece of one partial chunk: keys `[sha256, offset]`, in offset order. */
const piecesOf = (sha256: string) => IDBKeyRange.bound([sha256, 0], [sha256, Infinity])

const upgrade = (db: IDBDatabase, oldVersion: number) => {
  if (oldVersion < 1) {
    db.createObjectStore(CHUNKS)
    db.createObjectStore(PARTIALS)
    db.createObjectStore(MODELS)
    db.createObjectStore(META)
  }
}

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer())

/** The models a state names: each name's active and previous version. */
const modelsNamed = (state: Store.State) =>
  Object.entries(state.models).flatMap(([name, model]) =>
    [model.active, model.previous].flatMap((installed) =>
      installed === undefined ? [] : [{ name, installed }],
    ),
  )

/** The store over the database; the connection closes with the scope. */
export const make = (options: Options = {}): Effect.Effect<Shape, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const name = options.database ?? "edgeline-sync"
    const where = `browser store "${name}"`
    const db = yield* Effect.acquireRelease(
      Idb.attempt(where, "opening IndexedDB", () =>
        Idb.open(options.indexedDB, name, VERSION, upgrade),
      ),
      (db) => Effect.sync(() => db.close()),
    )
    const attempt = <A>(what: string, run: () => Promise<A>) => Idb.attempt(where, what, run)
    const read = <A>(stores: ReadonlyArray<string>, body: (tx: IDBTransaction) => Promise<A>) =>
      Idb.transact(db, stores, "readonly", body)
    const write = <A>(
      stores: ReadonlyArray<string>,
      body: (tx: IDBTransaction) => Promise<A>,
      durability: IDBTransactionDurability = "default",
    ) => Idb.transact(db, stores, "readwrite", body, durability)
    const has = (store: string, sha256: string) =>
      read([store], async (tx) => (await Idb.request(tx.objectStore(store).count(sha256))) > 0)
    const blob = (store: string, sha256: string) =>
      read([store], (tx) => Idb.request(tx.objectStore(store).get(sha256) as IDBRequest<Blob>))

    const modelBlob = (sha256: string) =>
      Effect.andThen(
        checked(sha256),
        attempt(`reading model ${short(sha256)}`, () => blob(MODELS, sha256)),
      )

    const shape: Shape = {
      hasChunk: (sha256) =>
        Effect.andThen(
          checked(sha256),
          attempt(`looking up chunk ${short(sha256)}`, () => has(CHUNKS, sha256)),
        ),
      writeChunk: (sha256, bytes) =>
        Effect.andThen(
          checked(sha256),
          attempt(`writing chunk ${short(sha256)} (${bytes.length} bytes)`, async () => {
            // A Blob copies the bytes, so the caller may reuse its buffer.
            const value = new Blob([bytes as Uint8Array<ArrayBuffer>])
            await write([CHUNKS], (tx) => Idb.request(tx.objectStore(CHUNKS).put(value, sha256)))
          }),
        ),
      readChunk: (sha256) =>
        Effect.andThen(
          checked(sha256),
          attempt(`reading chunk ${short(sha256)}`, async () => {
            const found = await blob(CHUNKS, sha256)
            return found === undefined ? undefined : bytesOf(found)
          }),
        ),
      readPartial: (sha256) =>
        Effect.andThen(
          checked(sha256),
          attempt(`reading partial chunk ${short(sha256)}`, async () => {
            const pieces = await read([PARTIALS], (tx) =>
              Idb.request(
                tx.objectStore(PARTIALS).getAll(piecesOf(sha256)) as IDBRequest<Array<Uint8Array>>,
              ),
            )
            return pieces.length === 0 ? undefined : concat(pieces)
          }),
        ),
      appendPartial: (sha256, bytes) =>
        Effect.andThen(
          checked(sha256),
          attempt(`appending to partial chunk ${short(sha256)}`, () => {
            const piece = bytes.slice()
            return write([PARTIALS], async (tx) => {
              const partials = tx.objectStore(PARTIALS)
              // The next offset is where the last piece ends: read and written in one transaction.
              const last = await Idb.request(partials.openCursor(piecesOf(sha256), "prev"))
              const offset =
                last === null
                  ? 0
                  : (last.key as [string, number])[1] + (last.value as Uint8Array).length
              await Idb.request(partials.put(piece, [sha256, offset]))
            })
          }),
        ),
      dropPartial: (sha256) =>
        Effect.andThen(
          checked(sha256),
          attempt(`dropping partial chunk ${short(sha256)}`, () =>
            write([PARTIALS], (tx) =>
              Idb.request(tx.objectStore(PARTIALS).delete(piecesOf(sha256))),
            ),
          ),
        ),
      writeModel: (sha256, list) =>
        Effect.gen(function* () {
          yield* checked(sha256)
          const what = `writing model ${short(sha256)} from ${list.length} chunks`
          const blobs = yield* attempt(what, () =>
            read([CHUNKS], (tx) =>
              Promise.all(
                list.map((chunk) =>
                  Idb.request(tx.objectStore(CHUNKS).get(chunk) as IDBRequest<Blob>),
                ),
              ),
            ),
          )
          const absent = list.find((_, i) => blobs[i] === undefined)
          if (absent !== undefined) {
            return yield* new StoreError({
              message: `${where}: chunk ${absent} is not in the store, so model ${sha256} cannot be assembled; download it first`,
            })
          }
          // Hashed one chunk at a time, outside any transaction (an await on anything
          // but a request would commit it): memory stays at one chunk.
          const actual = yield* attempt(`${what} (hashing)`, async () => {
            const hasher = (await createSHA256()).init()
            for (const chunk of blobs) hasher.update(await bytesOf(chunk))
            return hasher.digest("hex")
          })
          if (actual !== sha256) {
            return yield* new StoreError({
              message: `${where}: the chunks make a model hashing to ${actual}, not ${sha256}; nothing was written (fetch the chunks again)`,
            })
          }
          const model = new Blob(blobs, { type: "application/octet-stream" })
          yield* attempt(what, () =>
            write(
              [MODELS],
              (tx) => Idb.request(tx.objectStore(MODELS).put(model, sha256)),
              "strict",
            ),
          )
        }),
      hasModel: (sha256) =>
        Effect.andThen(
          checked(sha256),
          attempt(`looking up model ${short(sha256)}`, () => has(MODELS, sha256)),
        ),
      readModel: (sha256) =>
        Effect.flatMap(modelBlob(sha256), (found) =>
          found === undefined
            ? Effect.succeed(undefined)
            : attempt(`reading model ${short(sha256)}`, () => bytesOf(found)),
        ),
      modelBlob,
      state: attempt("reading the state", async () => {
        const state = await read([META], (tx) =>
          Idb.request(tx.objectStore(META).get(STATE) as IDBRequest<Store.State | undefined>),
        )
        return state ?? Store.empty
      }),
      commit: (next) =>
        attempt("committing the state", () =>
          // The check and the write share one transaction: nothing can remove a
          // model between them, and a refusal writes nothing.
          write(
            [MODELS, META],
            async (tx) => {
              const models = tx.objectStore(MODELS)
              const named = modelsNamed(next)
              const present = await Promise.all(
                named.map(({ installed }) => Idb.request(models.count(installed.sha256))),
              )
              const absent = named.find((_, i) => present[i] === 0)
              if (absent !== undefined) {
                throw new StoreError({
                  message: `${where}: the state names ${absent.name}@${absent.installed.version}, whose model is not in the store; write the model before committing a state that names it`,
                })
              }
              await Idb.request(tx.objectStore(META).put(next, STATE))
            },
            "strict",
          ),
        ),
      collect: (keepChunks) =>
        attempt("collecting what the state no longer needs", () =>
          write([META, MODELS, CHUNKS, PARTIALS], async (tx) => {
            const state =
              (await Idb.request(tx.objectStore(META).get(STATE) as IDBRequest<Store.State>)) ??
              Store.empty
            const keepModels = new Set(modelsNamed(state).map(({ installed }) => installed.sha256))
            const models = tx.objectStore(MODELS)
            const chunks = tx.objectStore(CHUNKS)
            const partials = tx.objectStore(PARTIALS)
            const [modelKeys, chunkKeys, partialKeys] = await Promise.all([
              Idb.request(models.getAllKeys()),
              Idb.request(chunks.getAllKeys()),
              Idb.request(partials.getAllKeys()),
            ])
            const deletions: Array<Promise<undefined>> = []
            for (const key of modelKeys) {
              if (!keepModels.has(key as string)) deletions.push(Idb.request(models.delete(key)))
            }
            for (const key of chunkKeys) {
              if (!keepChunks.has(key as string)) deletions.push(Idb.request(chunks.delete(key)))
            }
            for (const key of partialKeys) {
              const [sha256] = key as [string, number]
              if (!keepChunks.has(sha256)) deletions.push(Idb.request(partials.delete(key)))
            }
            await Promise.all(deletions)
          }),
        ),
    }
    return shape
  })

/** The `Store` on IndexedDB; the database closes with the layer. */
export const layer = (options: Options = {}): Layer.Layer<Store.Store, StoreError> =>
  Layer.effect(Store.Store, make(options))
