/**
 * What the server runs behind `POST /v1/audio/transcriptions`: a speech
 * recogniser. The server decodes the uploaded WAV (any PCM or float
 * encoding, rate and channel count), converts it to 16 kHz mono 16-bit
 * samples and hands those over; the transcriber says what was said. The
 * server writes that in the format the request asked for (see the README).
 *
 * `PocketSphinx.transcriber()` is the one this package ships; any other
 * recogniser (a Whisper binding, a cloud call) fits the same shape.
 *
 * @example
 * ```ts
 * import type { Transcriber } from "@edgeline/cloud-server"
 *
 * const silence: Transcriber = {
 *   id: "silence-detector",
 *   transcribe: async (samples) => (samples.some((s) => Math.abs(s) > 500) ? "(speech)" : ""),
 * }
 * ```
 */

/** The rate of the samples a transcriber is given. */
export const SAMPLE_RATE = 16_000

/** One word of a transcript, with its time in the audio. */
export interface TranscriptWord {
  readonly word: string
  /** Seconds from the start of the audio. */
  readonly start: number
  readonly end: number
  /** The recogniser's confidence in the word, 0 to 1, when it gives one. */
  readonly probability?: number | undefined
}

/** A stretch of speech (an utterance between pauses), with its time in the audio. */
export interface TranscriptSegment {
  readonly text: string
  /** Seconds from the start of the audio. */
  readonly start: number
  readonly end: number
  /** Its words, when the recogniser times words. */
  readonly words?: ReadonlyArray<TranscriptWord> | undefined
}

/** What a transcriber heard: the text, and where it can tell, when each part was said. */
export interface Transcript {
  readonly text: string
  /** The language heard, as OpenAI's `verbose_json` names it (`"english"`). */
  readonly language?: string | undefined
  /** In order. Without them the server makes one segment of the whole audio. */
  readonly segments?: ReadonlyArray<TranscriptSegment> | undefined
}

/** What the request said besides the audio. */
export interface TranscribeOptions {
  /** The request's `language` (ISO-639-1, e.g. `"en"`), when it gave one. */
  readonly language?: string | undefined
  /** The request's `prompt`, when it gave one; a recogniser may ignore it. */
  readonly prompt?: string | undefined
  /** Aborted when the client leaves or the server closes: stop work and reject. */
  readonly signal?: AbortSignal | undefined
}

export interface Transcriber {
  /** The model's name: what `GET /v1/models` lists and a request's `model` names. */
  readonly id: string
  /** What the model is, for people (not sent to clients). */
  readonly description?: string | undefined
  /** `owned_by` in `GET /v1/models` (default `"edgeline"`). */
  readonly ownedBy?: string | undefined
  /**
   * The languages it transcribes, as ISO-639-1 codes (`["en"]`): a request
   * naming another gets a 400. Leave it out for any.
   */
  readonly languages?: ReadonlyArray<string> | undefined
  /**
   * The speech in 16 kHz mono 16-bit samples (`SAMPLE_RATE`), as text or a
   * `Transcript`. A rejection fails the request with a 500 naming the model.
   */
  readonly transcribe: (
    samples: Int16Array,
    options: TranscribeOptions,
  ) => Promise<string | Transcript> | string | Transcript
  /**
   * Frees what the model holds. The server does not own its models and never
   * calls it: whoever made the transcriber closes it after `server.close()`.
   */
  readonly close?: (() => Promise<void> | void) | undefined
}
