/**
 * Getting a ready session for a `ModelRef`: resolve the bytes through the
 * `ModelSource`, load them with the `InferenceBackend`. Sessions are remembered
 * per backend instance, so a stage pays for resolution once, not per run.
 */
import { Effect } from "effect"
import type { ModelLoadError, ModelNotFoundError } from "./Errors.js"
import { InferenceBackend, type Session, type SessionOptions, type Shape } from "./InferenceBackend.js"
import * as ModelRef from "./ModelRef.js"
import { ModelSource } from "./ModelSource.js"

const sessions = new WeakMap<Shape, Map<string, Session>>()

export const session = (
  ref: ModelRef.ModelRef,
  options: SessionOptions = {},
): Effect.Effect<Session, ModelNotFoundError | ModelLoadError, InferenceBackend | ModelSource> =>
  Effect.gen(function* () {
    const backend = yield* InferenceBackend
    let byKey = sessions.get(backend)
    if (byKey === undefined) {
      byKey = new Map()
      sessions.set(backend, byKey)
    }
    const key = `${ModelRef.key(ref)}|${JSON.stringify(options)}`
    const cached = byKey.get(key)
    if (cached !== undefined) return cached
    const source = yield* ModelSource
    const bytes = yield* source.resolve(ref)
    const loaded = yield* backend.load(bytes, options)
    byKey.set(key, loaded)
    return loaded
  })
