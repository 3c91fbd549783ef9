/**
 * Fetching a model's missing chunks into the store over a link that cuts,
 * stalls and corrupts: each chunk arrives as a partial that grows with every
 * piece received, a cut resumes it with `Range: bytes=<have>-`, and only a
 * chunk whose size and sha256 match the manifest is kept; then the model is
 * assembled and verified whole. Chunks already on the device (from an
 * earlier version) are not fetched, so an update costs what changed.
 */
import { Duration, Effect } from "effect"
import * as Content from "./Content.js"
import { DownloadError, IntegrityError, type StoreError } from "./Errors.js"
import { honouring, jittered, retryAfterOf } from "./internal/backoff.js"
import { concat } from "./internal/concat.js"
import { discard, reader, request } from "./internal/request.js"
import * as Layout from "./Layout.js"
import type * as Manifest from "./Manifest.js"
import type * as Store from "./Store.js"

export interface Http {
  /** The registry's base URL (ends with `/`). */
  readonly base: string
  readonly fetch: typeof globalThis.fetch
  /** Longest wait for the answer or for the next bytes of a body (a stall). */
  readonly stallMs: number
  /** Tries per chunk, the first included; each retry resumes. */
  readonly attempts: number
  readonly retryBaseMs: number
}

export interface Progress {
  readonly model: string
  readonly version: string
  /**
   * Bytes of the missing chunks on the device so far (received, or kept
   * from a cut download), and their total. Never more than the total; it
   * goes back when bytes received turn out wrong and are fetched again.
   */
  readonly done: number
  readonly total: number
}

/**
 * The longest `Retry-After` a download sits out in place; a server asking
 * for longer fails the check with it, and the next check (`poll`) waits it.
 */
const INLINE_RETRY_AFTER_MS = 30_000

/** Appends gather pieces up to this size: fewer writes, and a cut loses at most this much. */
const APPEND_BYTES = 16 * 1024

/** Fetches one chunk into the store, resuming what a cut left; keeps it only once verified. */
const fetchChunk = (
  store: Store.Shape,
  http: Http,
  chunk: Manifest.Chunk,
  /** Bytes of this chunk on the device now. */
  progress: (bytes: number) => void,
) =>
  Effect.gen(function* () {
    const url = new URL(Layout.blobPath(chunk.sha256), http.base).href
    const partial = yield* store.readPartial(chunk.sha256)
    let have = partial?.length ?? 0
    if (partial !== undefined && have === chunk.size) {
      // Every byte arrived before the answer failed (a connection cut right
      // at the end, a Content-Length longer than the body, a kill before the
      // chunk was kept): verified, they are the chunk, with no request.
      if ((yield* Content.sha256(partial)) === chunk.sha256) {
        yield* store.writeChunk(chunk.sha256, partial)
        yield* store.dropPartial(chunk.sha256)
        return
      }
    }
    if (have >= chunk.size) {
      // As long as the chunk but not it, or longer: not a prefix of it.
      yield* store.dropPartial(chunk.sha256)
      have = 0
    }
    progress(have)
    const response = yield* request(http, url, have > 0 ? { range: `bytes=${have}-` } : {})
    const resumed =
      response.status === 206 &&
      (response.headers.get("content-range") ?? "").startsWith(`bytes ${have}-`)
    if (!resumed && response.status !== 200) {
      yield* discard(response)
      return yield* new DownloadError({
        message: `${url}: HTTP ${response.status}`,
        url,
        status: response.status,
        permanent: response.status === 404 || response.status === 410,
        retryAfterMs: retryAfterOf(response),
      })
    }
    if (!resumed && have > 0) {
      // The server sent the whole chunk: start it afresh.
      yield* store.dropPartial(chunk.sha256)
      have = 0
      progress(have)
    }
    const { read, cancel } = yield* reader(http, url, response)
    const pending: Array<Uint8Array> = []
    let pendingBytes = 0
    const flush = Effect.gen(function* () {
      if (pendingBytes === 0) return
      const joined = concat(pending.splice(0))
      pendingBytes = 0
      yield* store.appendPartial(chunk.sha256, joined)
    })
    yield* Effect.gen(function* () {
      while (true) {
        const { done, value } = yield* read
        if (done) break
        if (have + pendingBytes + value.length > chunk.size) {
          // Not a prefix of the chunk: nothing of this answer is kept.
          pending.length = 0
          pendingBytes = 0
          yield* store.dropPartial(chunk.sha256)
          return yield* new IntegrityError({
            message: `${url}: more bytes than the chunk's ${chunk.size}`,
            expected: chunk.sha256,
            actual: "(too long)",
          })
        }
        pending.push(value)
        pendingBytes += value.length
        progress(have + pendingBytes)
        if (pendingBytes >= APPEND_BYTES) {
          have += pendingBytes
          yield* flush
        }
      }
      have += pendingBytes
      yield* flush
    }).pipe(
      // What arrived before a cut is kept, so the next try resumes after it
      // (if the store cannot keep it, the next try fetches it again).
      Effect.ensuring(Effect.ignore(flush)),
      Effect.ensuring(cancel),
    )
    const bytes = (yield* store.readPartial(chunk.sha256)) ?? new Uint8Array()
    if (bytes.length < chunk.size) {
      return yield* new DownloadError({
        message: `${url}: cut after ${bytes.length} of ${chunk.size} bytes`,
        url,
        permanent: false,
      })
    }
    const actual = yield* Content.sha256(bytes)
    if (actual !== chunk.sha256 || bytes.length !== chunk.size) {
      yield* store.dropPartial(chunk.sha256)
      return yield* new IntegrityError({
        message: `${url}: the bytes received hash to ${actual}; fetching it again`,
        expected: chunk.sha256,
        actual,
      })
    }
    yield* store.writeChunk(chunk.sha256, bytes)
    yield* store.dropPartial(chunk.sha256)
  })

/**
 * `attempt` tried up to `http.attempts` times while it fails with what
 * another try may fix (a cut, a stall, a 5xx, wrong bytes), waiting the
 * jittered backoff or the server's `Retry-After`, whichever is longer.
 */
const retried = <E extends DownloadError | IntegrityError | StoreError>(
  http: Http,
  attempt: Effect.Effect<void, E>,
): Effect.Effect<void, E> =>
  Effect.gen(function* () {
    for (let failures = 1; ; failures++) {
      const result = yield* Effect.result(attempt)
      if (result._tag === "Success") return
      const error = result.failure
      const asked = error._tag === "DownloadError" ? error.retryAfterMs : undefined
      const again =
        failures < http.attempts &&
        (error._tag === "IntegrityError" || (error._tag === "DownloadError" && !error.permanent)) &&
        (asked ?? 0) <= INLINE_RETRY_AFTER_MS
      if (!again) return yield* Effect.fail(error)
      const wait = honouring(jittered(failures - 1, http.retryBaseMs, 60_000), asked, 60_000)
      yield* Effect.sleep(Duration.millis(wait))
    }
  })

/** Bytes the device lacks to assemble `model`. */
export const missing = (store: Store.Shape, model: Manifest.Model) =>
  Effect.gen(function* () {
    const lacking: Array<Manifest.Chunk> = []
    const seen = new Set<string>()
    for (const chunk of model.chunks) {
      if (seen.has(chunk.sha256)) continue
      seen.add(chunk.sha256)
      if (!(yield* store.hasChunk(chunk.sha256))) lacking.push(chunk)
    }
    return lacking
  })

/**
 * Fetches what the device lacks of `model` and assembles it in the store,
 * verified. Cuts, stalls and corrupt bytes are retried (resuming) up to
 * `http.attempts` times per chunk, with jittered exponential backoff.
 */
export const download = (
  store: Store.Shape,
  http: Http,
  model: Manifest.Model,
  onProgress?: (progress: Progress) => void,
): Effect.Effect<void, DownloadError | IntegrityError | StoreError> =>
  Effect.gen(function* () {
    if (yield* store.hasModel(model.sha256)) return
    const lacking = yield* missing(store, model)
    const total = lacking.reduce((sum, c) => sum + c.size, 0)
    /** Bytes of the lacking chunks already whole in the store. */
    let kept = 0
    let reported: number | undefined
    const report = (current: number) => {
      const done = kept + current
      if (done === reported) return
      reported = done
      onProgress?.({ model: model.name, version: model.version, done, total })
    }
    report(0)
    for (const chunk of lacking) {
      yield* retried(http, fetchChunk(store, http, chunk, report))
      kept += chunk.size
      report(0)
    }
    yield* store.writeModel(
      model.sha256,
      model.chunks.map((c) => c.sha256),
    )
  })
