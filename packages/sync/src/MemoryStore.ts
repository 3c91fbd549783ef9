/**
 * A `Store` in memory: for devices that keep nothing between runs (a web
 * page without storage, a test), with the same contract as the persistent
 * stores while the process lives. Models are assembled and verified like
 * everywhere else.
 */
import { Effect, Layer } from "effect"
import * as Content from "./Content.js"
import { StoreError } from "./Errors.js"
import { concat } from "./internal/concat.js"
import * as Store from "./Store.js"

const SHA256 = /^[0-9a-f]{64}$/

const checked = (sha256: string) =>
  SHA256.test(sha256)
    ? Effect.void
    : Effect.fail(new StoreError({ message: `"${sha256}" is not a lowercase hex sha256` }))

export const make = (): Store.Shape => {
  const chunks = new Map<string, Uint8Array>()
  const partials = new Map<string, Array<Uint8Array>>()
  const models = new Map<string, Uint8Array>()
  let state = Store.empty
  return {
    hasChunk: (sha256) => Effect.as(checked(sha256), chunks.has(sha256)),
    writeChunk: (sha256, bytes) =>
      Effect.andThen(
        checked(sha256),
        Effect.sync(() => {
          chunks.set(sha256, bytes.slice())
        }),
      ),
    readChunk: (sha256) => Effect.as(checked(sha256), chunks.get(sha256)),
    readPartial: (sha256) =>
      Effect.andThen(
        checked(sha256),
        Effect.sync(() => {
          const parts = partials.get(sha256)
          return parts === undefined ? undefined : concat(parts)
        }),
      ),
    appendPartial: (sha256, bytes) =>
      Effect.andThen(
        checked(sha256),
        Effect.sync(() => {
          const parts = partials.get(sha256) ?? []
          parts.push(bytes.slice())
          partials.set(sha256, parts)
        }),
      ),
    dropPartial: (sha256) =>
      Effect.andThen(
        checked(sha256),
        Effect.sync(() => {
          partials.delete(sha256)
        }),
      ),
    writeModel: (sha256, list) =>
      Effect.gen(function* () {
        yield* checked(sha256)
        const parts: Array<Uint8Array> = []
        for (const chunk of list) {
          const bytes = chunks.get(chunk)
          if (bytes === undefined) {
            return yield* new StoreError({ message: `chunk ${chunk} is not in the store` })
          }
          parts.push(bytes)
        }
        const bytes = concat(parts)
        const actual = yield* Content.sha256(bytes)
        if (actual !== sha256) {
          return yield* new StoreError({
            message: `the chunks make a model hashing to ${actual}, not ${sha256}`,
          })
        }
        models.set(sha256, bytes)
      }),
    hasModel: (sha256) => Effect.as(checked(sha256), models.has(sha256)),
    readModel: (sha256) => Effect.as(checked(sha256), models.get(sha256)),
    state: Effect.sync(() => state),
    commit: (next) =>
      Effect.gen(function* () {
        for (const [name, model] of Object.entries(next.models)) {
          for (const installed of [model.active, model.previous]) {
            if (installed !== undefined && !models.has(installed.sha256)) {
              return yield* new StoreError({
                message: `the state names ${name}@${installed.version}, whose model is not in the store`,
              })
            }
          }
        }
        state = next
      }),
    collect: (keepChunks) =>
      Effect.sync(() => {
        const keepModels = new Set(
          Object.values(state.models).flatMap((m) =>
            m.previous === undefined ? [m.active.sha256] : [m.active.sha256, m.previous.sha256],
          ),
        )
        for (const sha of models.keys()) if (!keepModels.has(sha)) models.delete(sha)
        for (const sha of chunks.keys()) if (!keepChunks.has(sha)) chunks.delete(sha)
        for (const sha of partials.keys()) if (!keepChunks.has(sha)) partials.delete(sha)
      }),
  }
}

export const layer = (): Layer.Layer<Store.Store> => Layer.sync(Store.Store, make)
