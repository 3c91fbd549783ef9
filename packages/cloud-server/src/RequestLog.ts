/**
 * The request log: one entry per request, written as a JSON line to a file
 * and/or given to a callback. It holds the messages exactly as they were
 * sent, so it shows what left the device — which is the point: a test can
 * read it to check that what the device masked never arrived.
 */

export interface Entry {
  /** When the request arrived, ISO 8601. */
  readonly time: string
  readonly method: string
  /** The path, without the query string. */
  readonly path: string
  readonly status: number
  /** The model the body named, when it named one. */
  readonly model: string | null
  /** From arrival to the response being ready, in milliseconds. */
  readonly durationMs: number
  /** The body's `messages` as sent (any shape), when the body had them. */
  readonly messages: unknown
  /** The error's message, for a request that failed. */
  readonly error: string | null
}

export interface Options {
  /** A JSONL file to append one line per request to (created if missing). */
  readonly file?: string | undefined
  /** Called with each entry. A callback that throws is reported once as a warning and otherwise ignored. */
  readonly onEntry?: ((entry: Entry) => void) | undefined
}
