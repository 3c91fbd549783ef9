/**
 * Requests to a registry under the client's stall bound: the answer must
 * come within `stallMs`, and then each piece of its body within `stallMs`
 * of the one before. A link that goes silent fails as a `DownloadError`
 * (retried, resuming), never a wait as long as the silence.
 */
import { Duration, Effect } from "effect"
import type { Http } from "../Download.js"
import { DownloadError } from "../Errors.js"
import { messageOf } from "./messageOf.js"

/** A request answered within `stallMs`; its body is read with `reader` or `body`. */
export const request = (
  http: Http,
  url: string,
  headers: Record<string, string>,
): Effect.Effect<Response, DownloadError> =>
  Effect.tryPromise({
    try: (signal) => http.fetch(url, { headers, signal }),
    catch: (e) => new DownloadError({ message: `${url}: ${messageOf(e)}`, url, permanent: false }),
  }).pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(http.stallMs),
      orElse: () =>
        Effect.fail(
          new DownloadError({
            message: `${url}: no answer within ${http.stallMs} ms`,
            url,
            permanent: false,
          }),
        ),
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
    if (stream === undefined) {
      return yield* new DownloadError({ message: `${url}: no body`, url, permanent: false })
    }
    const read = Effect.tryPromise({
      try: () => stream.read(),
      catch: (e) =>
        new DownloadError({ message: `${url}: cut (${messageOf(e)})`, url, permanent: false }),
    }).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(http.stallMs),
        orElse: () =>
          Effect.fail(
            new DownloadError({
              message: `${url}: stalled, no bytes for ${http.stallMs} ms`,
              url,
              permanent: false,
            }),
          ),
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
        if (size > maxBytes) {
          return yield* new DownloadError({
            message: `${url}: longer than ${maxBytes} bytes, not a manifest`,
            url,
            permanent: false,
          })
        }
        pieces.push(value)
      }
    }).pipe(Effect.ensuring(cancel))
    const whole = new Uint8Array(size)
    let at = 0
    for (const piece of pieces) {
      whole.set(piece, at)
      at += piece.length
    }
    return whole
  })
