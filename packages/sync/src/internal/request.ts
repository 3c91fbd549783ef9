/**
 * Requests to a registry under the client's stall bound: the answer must
 * come within `stallMs`, and then each piece of its body within `stallMs`
 * of the one before. A link that goes silent fails as a `DownloadError`
 * (retried, resuming), never a wait as long as the silence.
 */
import { Duration, Effect } from "effect"
import type { Http } from "../Download.js"
import { DownloadError } from "../Errors.js"
import { concat } from "./concat.js"
import { messageOf } from "./messageOf.js"

/** A failure of `url` that another try may fix. */
const transient = (url: string, why: string) =>
  new DownloadError({ message: `${url}: ${why}`, url, permanent: false })

/** `effect`, failing as `why` when it takes longer than `stallMs`. */
const withinStall = <A>(
  http: Http,
  url: string,
  why: string,
  effect: Effect.Effect<A, DownloadError>,
): Effect.Effect<A, DownloadError> =>
  Effect.timeoutOrElse(effect, {
    duration: Duration.millis(http.stallMs),
    orElse: () => Effect.fail(transient(url, why)),
  })

/** A request answered within `stallMs`; its body is read with `reader` or `body`. */
export const request = (
  http: Http,
  url: string,
  headers: Record<string, string>,
): Effect.Effect<Response, DownloadError> =>
  withinStall(
    http,
    url,
    `no answer within ${http.stallMs} ms`,
    Effect.tryPromise({
      try: (signal) => http.fetch(url, { headers, signal }),
      catch: (e) => transient(url, messageOf(e)),
    }),
  )

/** Releases an answer whose body is not wanted (an error page); a body already broken is no error. */
export const discard = (response: Response): Effect.Effect<void> =>
  Effect.promise(() => response.body?.cancel().catch(() => {}) ?? Promise.resolve())

/**
 * The body of `response` piece by piece: each `read` fails as a stall when
 * no bytes come for `stallMs`, or as a cut when the connection ends early;
 * `cancel` releases the connection (safe to call more than once).
 */
export const reader = (http: Http, url: string, response: Response) =>
  Effect.gen(function* () {
    const stream = response.body?.getReader()
    if (stream === undefined) return yield* transient(url, "no body")
    const read = withinStall(
      http,
      url,
      `stalled, no bytes for ${http.stallMs} ms`,
      Effect.tryPromise({
        try: () => stream.read(),
        catch: (e) => transient(url, `cut (${messageOf(e)})`),
      }),
    )
    const cancel = Effect.promise(() => stream.cancel().catch(() => {}))
    return { read, cancel }
  })

/** The largest manifest read (one lists ~16 000 chunks per GB of models in ~1.6 MB). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

/**
 * The whole body of a small answer (a manifest), under the same bound as a
 * chunk's: a body that stalls fails after `stallMs` instead of holding the
 * check for as long as the link stays silent; one longer than `maxBytes`
 * fails before it fills memory.
 */
export const body = (
  http: Http,
  url: string,
  response: Response,
  maxBytes = MAX_MANIFEST_BYTES,
): Effect.Effect<Uint8Array, DownloadError> =>
  Effect.gen(function* () {
    const { read, cancel } = yield* reader(http, url, response)
    const pieces: Array<Uint8Array> = []
    let size = 0
    yield* Effect.gen(function* () {
      while (true) {
        const { done, value } = yield* read
        if (done) return
        size += value.length
        if (size > maxBytes)
          return yield* transient(url, `longer than ${maxBytes} bytes, not a manifest`)
        pieces.push(value)
      }
    }).pipe(Effect.ensuring(cancel))
    return concat(pieces)
  })
