/** A server's options checked and filled with defaults; what is wrong is said by name. */
import type { ChatClassifier } from "../ChatClassifier.js"
import { CloudServerOptionsError } from "../Errors.js"
import type { Transcriber } from "../Transcriber.js"

export interface Settings {
  readonly host: string
  readonly port: number
  readonly apiKeys: ReadonlyArray<string>
  readonly maxBodyBytes: number
  readonly maxConcurrent: number
  readonly maxAudioBytes: number
  readonly models: ReadonlyMap<string, ChatClassifier>
  readonly transcribers: ReadonlyMap<string, Transcriber>
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 0,
  // OpenAI takes far larger bodies; a triage message and its context fit in far less.
  maxBodyBytes: 1024 * 1024,
  maxConcurrent: 16,
  // OpenAI's limit for an audio upload: 25 MB (about 13 minutes of 16 kHz mono 16-bit WAV).
  maxAudioBytes: 25 * 1024 * 1024,
} as const

export interface Input {
  readonly models?: ReadonlyArray<ChatClassifier> | undefined
  readonly transcribers?: ReadonlyArray<Transcriber> | undefined
  readonly port?: number | undefined
  readonly host?: string | undefined
  readonly apiKeys?: ReadonlyArray<string> | undefined
  readonly maxBodyBytes?: number | undefined
  readonly maxConcurrent?: number | undefined
  readonly maxAudioBytes?: number | undefined
}

const fail = (message: string) => new CloudServerOptionsError({ message })

const integer = (
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
) => {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < min || n > max) {
    throw fail(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
  return n
}

const checkModel = (model: ChatClassifier, i: number): ChatClassifier => {
  const name = `models[${i}]`
  if (typeof model?.id !== "string" || model.id === "")
    throw fail(`${name}.id must be a non-empty string`)
  const labels: unknown = model.labels
  if (
    !Array.isArray(labels) ||
    labels.length < 2 ||
    labels.some((l) => typeof l !== "string" || l === "") ||
    new Set(labels).size !== labels.length
  ) {
    throw fail(`${name}.labels ("${model.id}") must be at least two different non-empty strings`)
  }
  if (typeof model.classify !== "function")
    throw fail(`${name}.classify ("${model.id}") must be a function`)
  return model
}

const checkTranscriber = (transcriber: Transcriber, i: number): Transcriber => {
  const name = `transcribers[${i}]`
  if (typeof transcriber?.id !== "string" || transcriber.id === "")
    throw fail(`${name}.id must be a non-empty string`)
  if (typeof transcriber.transcribe !== "function")
    throw fail(`${name}.transcribe ("${transcriber.id}") must be a function`)
  const languages: unknown = transcriber.languages
  if (
    languages !== undefined &&
    (!Array.isArray(languages) ||
      languages.length === 0 ||
      languages.some((l) => typeof l !== "string" || !/^[a-z]{2}$/.test(l)))
  ) {
    throw fail(
      `${name}.languages ("${transcriber.id}") must be ISO-639-1 codes such as "en", or left out`,
    )
  }
  return transcriber
}

const listOf = <A>(name: string, value: ReadonlyArray<A> | undefined): ReadonlyArray<A> => {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw fail(`${name} must be an array`)
  return value
}

export const check = (input: Input): Settings | CloudServerOptionsError => {
  try {
    const chat = listOf("models", input?.models)
    const speech = listOf("transcribers", input?.transcribers)
    if (chat.length === 0 && speech.length === 0) {
      throw fail("models must list at least one model (or transcribers one transcriber)")
    }
    // Both kinds share GET /v1/models, so an id names one model of either kind.
    const ids = new Set<string>()
    const claim = (id: string, list: string) => {
      if (ids.has(id)) throw fail(`${list} has two models named "${id}"`)
      ids.add(id)
    }
    const models = new Map<string, ChatClassifier>()
    chat.forEach((model, i) => {
      checkModel(model, i)
      claim(model.id, "models")
      models.set(model.id, model)
    })
    const transcribers = new Map<string, Transcriber>()
    speech.forEach((transcriber, i) => {
      checkTranscriber(transcriber, i)
      claim(transcriber.id, models.has(transcriber.id) ? "models and transcribers" : "transcribers")
      transcribers.set(transcriber.id, transcriber)
    })
    const apiKeys = input.apiKeys ?? []
    if (!Array.isArray(apiKeys) || apiKeys.some((k) => typeof k !== "string" || !/^\S+$/.test(k))) {
      throw fail("apiKeys must be non-empty strings without spaces")
    }
    const host = input.host ?? DEFAULTS.host
    if (typeof host !== "string" || host === "") throw fail("host must be a non-empty string")
    return {
      host,
      port: integer("port", input.port, DEFAULTS.port, 0, 65535),
      apiKeys,
      maxBodyBytes: integer(
        "maxBodyBytes",
        input.maxBodyBytes,
        DEFAULTS.maxBodyBytes,
        1,
        2 ** 31 - 1,
      ),
      maxConcurrent: integer(
        "maxConcurrent",
        input.maxConcurrent,
        DEFAULTS.maxConcurrent,
        1,
        100_000,
      ),
      maxAudioBytes: integer(
        "maxAudioBytes",
        input.maxAudioBytes,
        DEFAULTS.maxAudioBytes,
        1,
        2 ** 31 - 1,
      ),
      models,
      transcribers,
    }
  } catch (e) {
    if (e instanceof CloudServerOptionsError) return e
    throw e
  }
}
