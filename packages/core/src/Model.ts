/**
 * Getting a ready session for a `ModelRef`: resolve the bytes through the
 * `ModelSource`, load them with the `InferenceBackend`. Sessions are remembered
 * per backend instance, so a stage pays for resolution once, not per run.
 */
import { Deferred, Effect, Exit } from "effect"
import type { ModelLoadError, ModelNotFoundError } from "./Errors.js"
import {
  InferenceBackend,
  type Session,
  type SessionOptions,
  type Shape,
  settingsKey,
} from "./InferenceBackend.js"
import * as ModelRef from "./ModelRef.js"
import { ModelSource } from "./ModelSource.js"

type Loading = Deferred.Deferred<Session, ModelNotFoundError | ModelLoadError>

const sessions = new WeakMap<Shape, Map<string, Loading>>()

export const session = (
  ref: ModelRef.ModelRef,
  options: SessionOptions = {},
): Effect.Effect<Session, ModelNotFoundError | ModelLoadError, InferenceBackend | ModelSource> => {
  // Computed once per stage, not per run: stages call this on every element.
  const key = `${ModelRef.key(ref)}|${settingsKey(options)}`
  return Effect.gen(function* () {
    const backend = yield* InferenceBackend
    let byKey = sessions.get(backend)
    if (byKey === undefined) {
      byKey = new Map()
      sessions.set(backend, byKey)
    }
    const cached = byKey.get(key)
    if (cached !== undefined) return yield* Deferred.await(cached)
    // Remember the load before it starts, so callers arriving while it runs
    // share it (one session, so their runs can batch) instead of loading again.
    // It runs on its own fiber: a cancelled first caller does not cancel theirs.
    const loading: Loading = Deferred.makeUnsafe()
    byKey.set(key, loading)
    const source = yield* ModelSource
    yield* source.resolve(ref).pipe(
      Effect.flatMap((bytes) => backend.load(bytes, options)),
      Effect.onExit((exit) => {
        if (Exit.isFailure(exit)) byKey.delete(key) // the next caller tries again
        return Deferred.done(loading, exit)
      }),
      Effect.forkDetach,
    )
    return yield* Deferred.await(loading)
  })
}
