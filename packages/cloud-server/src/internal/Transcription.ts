/**
 * `POST /v1/audio/transcriptions` in OpenAI's shapes: the multipart form
 * read and checked, the transcriber's answer written as `json`, `text`,
 * `verbose_json`, `srt` or `vtt` (read back with the official `openai`
 * client in the tests).
 */
import { deflateSync } from "node:zlib"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import type { Transcriber, Transcript, TranscriptSegment } from "../Transcriber.js"
import { ApiError, invalidRequest } from "./ApiError.js"
import type { Audio } from "./AudioInput.js"

export const FORMATS = ["json", "text", "srt", "verbose_json", "vtt"] as const
export type Format = (typeof FORMATS)[number]

type Granularity = "word" | "segment"

export interface TranscriptionRequest {
  readonly model: string
  readonly file: File
  readonly language: string | undefined
  readonly prompt: string | undefined
  readonly format: Format
  readonly granularities: ReadonlySet<Granularity>
}

/** The form of a multipart body, or a 400 for a body that is not one. */
export const readForm = (
  body: ArrayBuffer,
  contentType: string | undefined,
): Effect.Effect<FormData, ApiError> => {
  // Without a boundary parameter the body cannot be split: the parser below says so.
  if (!/^multipart\/form-data\b/i.test(contentType ?? "")) {
    return Effect.fail(
      invalidRequest(
        `Invalid Content-Type header (${contentType ?? "none"}), expected multipart/form-data. (HINT: If you're using curl, you can pass -F 'file=@audio.wav' -F 'model=…'.)`,
      ),
    )
  }
  return Effect.tryPromise({
    // undici's multipart parser, which Node's fetch uses: no library of our own.
    try: () => new Response(body, { headers: { "content-type": contentType! } }).formData(),
    catch: () => invalidRequest("We could not parse the multipart/form-data body of your request."),
  })
}

const text = (form: FormData, name: string): string | undefined | ApiError => {
  const value = form.get(name)
  if (value === null) return undefined
  if (typeof value !== "string") {
    return invalidRequest(
      `Invalid value for '${name}': expected a text field, got a file.`,
      name,
      "invalid_type",
    )
  }
  return value
}

const missing = (name: string) =>
  invalidRequest(`Missing required parameter: '${name}'.`, name, "missing_required_parameter")

const quoted = (values: ReadonlyArray<string>) => values.map((v) => `'${v}'`).join(", ")

/** The request's fields checked, or the 400 for the first that is wrong. */
export const decode = (form: FormData): TranscriptionRequest | ApiError => {
  const file = form.get("file")
  if (file === null) return missing("file")
  if (typeof file === "string") {
    return invalidRequest(
      "Invalid value for 'file': expected an uploaded file (a multipart part with a filename), got a text field.",
      "file",
      "invalid_type",
    )
  }
  const model = text(form, "model")
  if (model instanceof ApiError) return model
  if (model === undefined || model === "") return missing("model")
  const language = text(form, "language")
  if (language instanceof ApiError) return language
  if (language !== undefined && language !== "" && !/^[a-z]{2}$/i.test(language)) {
    return invalidRequest(
      `Invalid language '${language}'. Language parameter must be specified in ISO-639-1 format.`,
      "language",
      "invalid_value",
    )
  }
  const prompt = text(form, "prompt")
  if (prompt instanceof ApiError) return prompt
  const format = text(form, "response_format")
  if (format instanceof ApiError) return format
  if (format === "diarized_json") {
    return invalidRequest(
      "'diarized_json' is not supported by this server (it does not tell speakers apart).",
      "response_format",
      "unsupported_value",
    )
  }
  if (format !== undefined && !(FORMATS as ReadonlyArray<string>).includes(format)) {
    return invalidRequest(
      `Invalid value: '${format}'. Supported values are: ${quoted(FORMATS)}.`,
      "response_format",
      "invalid_value",
    )
  }
  const stream = text(form, "stream")
  if (stream === "true") {
    return invalidRequest(
      "Streaming is not supported by this server: send stream: false (or leave it out).",
      "stream",
      "unsupported_value",
    )
  }
  // The official clients send arrays as repeated `name[]` fields.
  const granularities = new Set<Granularity>()
  for (const value of [
    ...form.getAll("timestamp_granularities[]"),
    ...form.getAll("timestamp_granularities"),
  ]) {
    if (value !== "word" && value !== "segment") {
      return invalidRequest(
        `Invalid value for 'timestamp_granularities': ${typeof value === "string" ? `'${value}'` : "a file"}. Supported values are: 'word', 'segment'.`,
        "timestamp_granularities",
        "invalid_value",
      )
    }
    granularities.add(value)
  }
  const chosen = (format ?? "json") as Format
  if (granularities.size > 0 && chosen !== "verbose_json") {
    return invalidRequest(
      "'timestamp_granularities' needs response_format 'verbose_json'.",
      "timestamp_granularities",
      "invalid_value",
    )
  }
  return {
    model,
    file,
    language: language === "" ? undefined : language?.toLowerCase(),
    prompt: prompt === "" ? undefined : prompt,
    format: chosen,
    granularities,
  }
}

/** A transcriber that cannot take the request's language: a 400, before any audio is read. */
export const checkLanguage = (
  request: TranscriptionRequest,
  transcriber: Transcriber,
): ApiError | undefined =>
  request.language === undefined ||
  transcriber.languages === undefined ||
  transcriber.languages.includes(request.language)
    ? undefined
    : invalidRequest(
        `The model \`${transcriber.id}\` does not transcribe '${request.language}': it transcribes ${quoted(transcriber.languages)}.`,
        "language",
        "unsupported_value",
      )

const failed = (transcriber: Transcriber, cause: unknown) =>
  new ApiError({
    status: 500,
    type: "server_error",
    param: null,
    code: null,
    message: `The model "${transcriber.id}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
  })

/** The transcriber's answer as a `Transcript` whose text is a string (else a 500 naming it). */
export const transcribe = (
  transcriber: Transcriber,
  request: TranscriptionRequest,
  audio: Audio,
): Effect.Effect<Transcript, ApiError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const answer = await transcriber.transcribe(audio.samples, {
        language: request.language,
        prompt: request.prompt,
        signal,
      })
      const transcript = typeof answer === "string" ? { text: answer } : answer
      if (typeof transcript?.text !== "string") throw new Error("it gave no text")
      return transcript
    },
    catch: (cause) => failed(transcriber, cause),
  })

/** Seconds billed, as OpenAI's `usage` for whisper-1 counts them: whole seconds, rounded up. */
const usage = (audio: Audio) => ({ type: "duration" as const, seconds: Math.ceil(audio.seconds) })

/** Whisper's measure of a repetitive segment: UTF-8 bytes over zlib-compressed bytes. */
const compressionRatio = (text: string) => {
  const bytes = Buffer.from(text, "utf8")
  return bytes.length === 0 ? 0 : bytes.length / deflateSync(bytes).length
}

const round = (x: number) => Math.round(x * 1000) / 1000

/** The transcript's segments, or one segment of the whole audio when it has none. */
const segmentsOf = (transcript: Transcript, audio: Audio): ReadonlyArray<TranscriptSegment> =>
  transcript.segments ??
  (transcript.text === "" ? [] : [{ text: transcript.text, start: 0, end: audio.seconds }])

/** OpenAI's `TranscriptionSegment`: what a recogniser has no notion of is 0 or empty. */
const verboseSegment = (segment: TranscriptSegment, id: number) => {
  const probabilities = (segment.words ?? []).flatMap((w) =>
    w.probability === undefined ? [] : [w.probability],
  )
  const avgLogprob =
    probabilities.length === 0
      ? 0
      : probabilities.reduce((sum, p) => sum + Math.log(Math.max(p, 1e-10)), 0) /
        probabilities.length
  return {
    id,
    seek: 0,
    start: round(segment.start),
    end: round(segment.end),
    text: segment.text,
    tokens: [] as Array<number>,
    temperature: 0,
    avg_logprob: round(avgLogprob),
    compression_ratio: round(compressionRatio(segment.text)),
    no_speech_prob: 0,
  }
}

const clock = (seconds: number, separator: "," | ".") => {
  const ms = Math.max(0, Math.round(seconds * 1000))
  const pad = (n: number, width = 2) => String(n).padStart(width, "0")
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor(ms / 60_000) % 60
  const s = Math.floor(ms / 1000) % 60
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`
}

const plain = (body: string) =>
  HttpServerResponse.text(body, { contentType: "text/plain; charset=utf-8" })

/** The answer in the request's format. */
export const respond = (
  request: TranscriptionRequest,
  audio: Audio,
  transcript: Transcript,
): HttpServerResponse.HttpServerResponse => {
  switch (request.format) {
    case "json":
      return HttpServerResponse.jsonUnsafe({ text: transcript.text, usage: usage(audio) })
    case "text":
      return plain(transcript.text)
    case "srt":
      return plain(
        segmentsOf(transcript, audio)
          .map((s, i) => `${i + 1}\n${clock(s.start, ",")} --> ${clock(s.end, ",")}\n${s.text}\n\n`)
          .join(""),
      )
    case "vtt":
      return plain(
        `WEBVTT\n\n${segmentsOf(transcript, audio)
          .map((s) => `${clock(s.start, ".")} --> ${clock(s.end, ".")}\n${s.text}\n\n`)
          .join("")}`,
      )
    case "verbose_json": {
      const segments = segmentsOf(transcript, audio)
      const words = request.granularities.has("word")
      // As with OpenAI, segments come by default, and with `word` only when asked for too.
      const withSegments = request.granularities.size === 0 || request.granularities.has("segment")
      return HttpServerResponse.jsonUnsafe({
        task: "transcribe",
        language: transcript.language ?? request.language ?? "unknown",
        duration: round(audio.seconds),
        text: transcript.text,
        ...(withSegments ? { segments: segments.map(verboseSegment) } : {}),
        ...(words
          ? {
              words: segments.flatMap((s) =>
                (s.words ?? []).map((w) => ({
                  word: w.word,
                  start: round(w.start),
                  end: round(w.end),
                })),
              ),
            }
          : {}),
        usage: usage(audio),
      })
    }
  }
}
