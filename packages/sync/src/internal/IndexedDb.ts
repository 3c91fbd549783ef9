/**
 * IndexedDB as promises and `StoreError`s, for the browser store and the
 * browser outbox storage.
 *
 * A transaction here runs a body that awaits only requests of that
 * transaction: IndexedDB commits a transaction as soon as it has no pending
 * request when control returns to the event loop, so awaiting anything else
 * (a Blob's bytes, a hash) inside it would let it commit half way. Bodies
 * that must refuse (a state naming an absent model) throw, and the
 * transaction is aborted: nothing it wrote is kept.
 */
import { Effect } from "effect"
import { StoreError } from "../Errors.js"
import { messageOf } from "./messageOf.js"

/** What the request gives, as a promise (rejected with the request's error). */
export const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })

/**
 * Opens `name` at `version` in `factory` (the global IndexedDB unless
 * given), making or upgrading its object stores with `upgrade`. The
 * connection closes itself when another one wants to upgrade or delete the
 * database, so this page never blocks another tab.
 */
export const open = (
  factory: IDBFactory | undefined,
  name: string,
  version: number,
  upgrade: (db: IDBDatabase, oldVersion: number) => void,
): Promise<IDBDatabase> =>
  new Promise((resolve, reject) => {
    const idb = factory ?? (typeof indexedDB === "undefined" ? undefined : indexedDB)
    if (idb === undefined) {
      reject(new Error("IndexedDB is not available here: use MemoryStore, or a Node store"))
      return
    }
    let settled = false
    const req = idb.open(name, version)
    req.onupgradeneeded = (event) => upgrade(req.result, event.oldVersion)
    req.onsuccess = () => {
      const db = req.result
      db.onversionchange = () => db.close()
      if (settled) db.close()
      else resolve(db)
      settled = true
    }
    req.onerror = () => {
      settled = true
      reject(
        req.error?.name === "VersionError"
          ? new Error(
              `the database was written by a newer version of @edgeline/sync (version > ${version}); update the app, or delete the database`,
            )
          : req.error,
      )
    }
    req.onblocked = () => {
      settled = true
      reject(
        new Error(
          "another tab holds an older version of the database open: reload or close the other tabs of this app",
        ),
      )
    }
  })

/**
 * Runs `body` in one transaction over `stores`, resolving once the
 * transaction has committed (with `durability: "strict"`, once it is on
 * disk) and rejecting, with nothing written, if the body throws or the
 * transaction aborts (a quota error is reported at commit, as an abort).
 */
export const transact = <A>(
  db: IDBDatabase,
  stores: ReadonlyArray<string>,
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => Promise<A>,
  durability: IDBTransactionDurability = "default",
): Promise<A> =>
  new Promise((resolve, reject) => {
    let tx: IDBTransaction
    try {
      tx = db.transaction([...stores], mode, { durability })
    } catch (e) {
      reject(e)
      return
    }
    let outcome:
      | { readonly ok: true; readonly value: A }
      | { readonly ok: false; readonly error: unknown }
      | undefined
    tx.oncomplete = () => {
      if (outcome?.ok === true) resolve(outcome.value)
      else reject(new Error("the transaction committed before its body finished (a bug)"))
    }
    tx.onabort = () =>
      reject(
        outcome?.ok === false
          ? outcome.error
          : (tx.error ?? new Error("the browser aborted the transaction")),
      )
    body(tx).then(
      (value) => {
        outcome = { ok: true, value }
      },
      (error: unknown) => {
        outcome = { ok: false, error }
        try {
          tx.abort()
        } catch {
          // Already finished: `oncomplete` or `onabort` reports it.
        }
      },
    )
  })

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

/** How much this origin uses of what it may, when the browser says. */
const usage = async () => {
  try {
    const estimate = await navigator.storage?.estimate()
    return estimate?.usage === undefined || estimate.quota === undefined
      ? ""
      : ` (this site uses ${megabytes(estimate.usage)} of the ${megabytes(estimate.quota)} the browser allows it)`
  } catch {
    return ""
  }
}

const isQuota = (e: unknown) =>
  (e instanceof DOMException || e instanceof Error) && e.name === "QuotaExceededError"

/**
 * `run` as an Effect; a failure becomes a `StoreError` saying what was being
 * done (`what`, e.g. "writing model ab12…") and, for a quota error, that the
 * device is out of storage for this site and what frees some. A
 * `StoreError` thrown by a body (a refusal) passes through as it is.
 */
export const attempt = <A>(
  where: string,
  what: string,
  run: () => Promise<A>,
): Effect.Effect<A, StoreError> =>
  Effect.tryPromise({ try: run, catch: (e) => e }).pipe(
    Effect.catch((e) =>
      e instanceof StoreError
        ? Effect.fail(e)
        : isQuota(e)
          ? Effect.flatMap(Effect.promise(usage), (used) =>
              Effect.fail(
                new StoreError({
                  message: `${where}: the device is out of storage for this site while ${what}${used}; nothing was written. Free space on the device or delete data this site keeps; navigator.storage.persist() also keeps the browser from evicting it`,
                }),
              ),
            )
          : Effect.fail(new StoreError({ message: `${where}: failed ${what}: ${messageOf(e)}` })),
    ),
  )
