/**
 * The live models of each backend instance, and how they follow their
 * source; `Model` is the public face of this.
 */
import { Deferred, Effect, Exit, Scope, Stream } from "effect"
import {
  InferenceBackend,
  type Key,
  type Session,
  type SessionOptions,
  type Shape,
} from "../InferenceBackend.js"
import type { Event, Listener } from "../Model.js"
import * as ModelRef from "../ModelRef.js"
import { type Change, ModelSource, type Shape as SourceShape } from "../ModelSource.js"
import * as Progress from "../Progress.js"
import { Generation, LiveModel, type LoadFailure } from "./liveModel.js"

interface Registry {
  readonly models: Map<string, Deferred.Deferred<LiveModel, LoadFailure>>
  readonly listeners: Set<Listener>
}

const registries = new WeakMap<Shape, Registry>()

const registryOf = (backend: Shape): Registry => {
  let registry = registries.get(backend)
  if (registry === undefined) {
    registry = { models: new Map(), listeners: new Set() }
    registries.set(backend, registry)
  }
  return registry
}

const emit = (registry: Registry, event: Event) => {
  for (const listener of registry.listeners) {
    try {
      listener(event)
    } catch {
      // A listener's bug is not the model's failure.
    }
  }
}

/** Loads one version under a fresh lease scope: the source's bytes, or the ref itself. */
const loadGeneration = (
  backend: Shape,
  source: SourceShape,
  ref: ModelRef.ModelRef,
  options: SessionOptions,
  change: Change | undefined,
): Effect.Effect<Generation, LoadFailure> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const loaded = yield* Effect.exit(
      (backend.capabilities.modelInput === "ref"
        ? backend.load(
            change?.version === undefined ? ref : { ...ref, version: change.version },
            options,
          )
        : Effect.flatMap(source.resolve(ref), (bytes) => backend.load(bytes, options))
      ).pipe(Scope.provide(scope)),
    )
    if (Exit.isFailure(loaded)) {
      yield* Scope.close(scope, loaded)
      return yield* Effect.failCause(loaded.cause)
    }
    return new Generation(loaded.value, scope)
  })

/** Follows the source's announcements for one model, one swap at a time. */
const follow = (
  registry: Registry,
  live: LiveModel,
  backend: Shape,
  source: SourceShape,
  ref: ModelRef.ModelRef,
  options: SessionOptions,
  changes: Stream.Stream<Change>,
) =>
  Stream.runForEach(changes, (change) =>
    Effect.gen(function* () {
      const next = yield* Effect.exit(loadGeneration(backend, source, ref, options, change))
      if (Exit.isFailure(next)) {
        const error = Exit.findErrorOption(next)
        if (error._tag === "None") return
        emit(registry, {
          _tag: "SwapFailed",
          model: ref.name,
          version: change.version,
          error: error.value,
        })
        yield* Effect.logWarning(
          `model "${ref.name}" version ${change.version ?? "?"} failed to load; version ${live.current.session.version ?? "?"} keeps serving: ${error.value.message}`,
        )
        return
      }
      const generation = next.value
      // The same bytes again (a republish): the lease just taken is not needed.
      if (generation.session === live.current.session) return generation.end()
      const from = live.current.session.version
      live.swap(generation)
      emit(registry, { _tag: "Swapped", model: ref.name, from, to: generation.session.version })
    }),
  )

/**
 * The live model for `ref` on the given backend (default `InferenceBackend`),
 * loading it on first use. Callers arriving while it loads share the load;
 * it runs on its own fiber, so a cancelled first caller does not cancel theirs.
 */
export const live = <Id = InferenceBackend>(
  ref: ModelRef.ModelRef,
  options: SessionOptions = {},
  backendKey: Key<Id> = InferenceBackend as unknown as Key<Id>,
): Effect.Effect<LiveModel, LoadFailure, Id | ModelSource> => {
  // Computed once per stage, not per run: stages call this on every element.
  const key = `${ref.name}|${ref.uri}|${ModelRef.key(ref)}|${JSON.stringify(options, (k, v) => (k === "warmup" ? !!v : v))}`
  return Effect.gen(function* () {
    const backend = yield* backendKey
    const registry = registryOf(backend)
    const cached = registry.models.get(key)
    if (cached !== undefined) return yield* Deferred.await(cached)
    const ready = Deferred.makeUnsafe<LiveModel, LoadFailure>()
    registry.models.set(key, ready)
    const source = yield* ModelSource
    yield* Effect.gen(function* () {
      const first = yield* loadGeneration(backend, source, ref, options, undefined)
      const model = new LiveModel(first)
      emit(registry, {
        _tag: "Loaded",
        model: ref.name,
        version: first.session.version,
        warnings: first.session.warnings,
      })
      if (first.session.warnings.length > 0) {
        yield* Effect.logWarning(
          `model "${ref.name}" on ${backend.name}: ${first.session.warnings.map((w) => w.message).join("; ")}`,
        )
      }
      yield* Deferred.succeed(ready, model)
      const changes = source.changes?.(ref)
      if (changes !== undefined) {
        yield* follow(registry, model, backend, source, ref, options, changes)
      }
    }).pipe(
      Effect.onExit((exit) => {
        if (Exit.isSuccess(exit)) return Effect.void
        registry.models.delete(key) // the next caller tries again
        return Deferred.failCause(ready, exit.cause)
      }),
      // The load belongs to no caller: none of their progress listeners hears it.
      Progress.withListener(undefined),
      Effect.forkDetach,
    )
    return yield* Deferred.await(ready)
  })
}

/** The session of the model's current version; see `live` for one held across a run. */
export const session = <Id = InferenceBackend>(
  ref: ModelRef.ModelRef,
  options: SessionOptions = {},
  backendKey?: Key<Id>,
): Effect.Effect<Session, LoadFailure, Id | ModelSource> =>
  Effect.map(live(ref, options, backendKey), (model) => model.current.session)

/**
 * Hears what happens to the models of a backend (default `InferenceBackend`)
 * from now on: loads, swaps, swaps that failed. Returns the unsubscribe.
 */
export const watch = <Id = InferenceBackend>(
  listener: Listener,
  backendKey: Key<Id> = InferenceBackend as unknown as Key<Id>,
): Effect.Effect<() => void, never, Id> =>
  Effect.map(backendKey, (backend) => {
    const { listeners } = registryOf(backend)
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  })
