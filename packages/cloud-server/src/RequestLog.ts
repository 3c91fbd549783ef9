/**
 * The request log: one entry per request, written as a JSON line to a file
 * and/or given to a callback. It holds the messages exactly as they were
 * sent, so it shows what left the device — which is the point: a test can
 * read it to check that what the device masked never arrived. For a
 * transcription it holds what was heard and how long the audio was, never
 * the audio itself.
 */

/** A transcription request's audio (described, not kept) and what was heard in it. */
export interface Transcription {
  /** The uploaded file's name, as the client gave it. */
  readonly filename: string | null
  /** The file's size in bytes. */
  readonly bytes: number
  /** Its format, once read: sample rate (Hz), channels, seconds of audio. */
  readonly sampleRate: number | null
  readonly channels: number | null
  readonly seconds: number | null
  /** The request's `language` and `prompt`, when it gave them. */
  readonly language: string | null
  readonly prompt: string | null
  /** The transcript, once there is one. */
  readonly text: string | null
}

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
  /** For `POST /v1/audio/transcriptions` once its form was read: the audio described and the transcript. */
  readonly transcription: Transcription | null
  /** The error's message, for a request that failed. */
  readonly error: string | null
}

export interface Options {
  /** A JSONL file to append one line per request to (created if missing). */
  readonly file?: string | undefined
  /** Called with each entry. A callback that throws is reported once as a warning and otherwise ignored. */
  readonly onEntry?: ((entry: Entry) => void) | undefined
}
