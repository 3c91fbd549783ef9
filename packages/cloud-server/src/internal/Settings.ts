/** A server's options checked and filled with defaults; what is wrong is said by name. */
import type { ChatClassifier } from "../ChatClassifier.js"
import { CloudServerOptionsError } from "../Errors.js"

export interface Settings {
  readonly host: string
  readonly port: number
  readonly apiKeys: ReadonlyArray<string>
  readonly maxBodyBytes: number
  readonly maxConcurrent: number
  readonly models: ReadonlyMap<string, ChatClassifier>
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 0,
  // OpenAI takes far larger bodies; a triage message and its context fit in far less.
  maxBodyBytes: 1024 * 1024,
  maxConcurrent: 16,
} as const

export interface Input {
  readonly models: ReadonlyArray<ChatClassifier>
  readonly port?: number | undefined
  readonly host?: string | undefined
  readonly apiKeys?: ReadonlyArray<string> | undefined
  readonly maxBodyBytes?: number | undefined
  readonly maxConcurrent?: number | undefined
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

export const check = (input: Input): Settings | CloudServerOptionsError => {
  try {
    if (!Array.isArray(input?.models) || input.models.length === 0) {
      throw fail("models must list at least one model")
    }
    const models = new Map<string, ChatClassifier>()
    input.models.forEach((model, i) => {
      checkModel(model, i)
      if (models.has(model.id)) throw fail(`models has two models named "${model.id}"`)
      models.set(model.id, model)
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
      models,
    }
  } catch (e) {
    if (e instanceof CloudServerOptionsError) return e
    throw e
  }
}
