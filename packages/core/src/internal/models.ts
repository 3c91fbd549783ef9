/**
 * The live models of each backend instance, and how they follow their
 * source; `Model` is the public face of this.
 *
 * A live model is per backend, per source and per ref + options. Its first
 * load and its following of the source run on fibers of the backend's scope
 * (a backend made by `InferenceBackend.make`), so they end when it closes.
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
import { scopes } from "./backendScope.js"
import { Generation, LiveModel, type LoadFailure } from "./liveModel.js"

/** A live model once loaded (`model`), or its first load. */
interface Entry {
  readonly ready: Deferred.Deferred<LiveModel, LoadFailure>
  model: LiveModel | undefined
}

interface Registry {
  readonly models: WeakMap<SourceShape, Map<string, Entry>>
  readonly listeners: Set<Listener>
}

const registries = new WeakMap<Shape, Registry>()

const registryOf = (backend: Shape): Registry => {
  let registry = registries.get(backend)
  if (registry === undefined) {
    registry = { models: new WeakMap(), listeners: new Set() }
    registries.set(backend, registry)
  }
  return registry
}

const entriesOf = (registry: Registry, source: SourceShape): Map<string, Entry> => {
  let entries = registry.models.get(source)
  if (entries === undefined) {
    entries = new Map()
    registry.models.set(source, entries)
  }
  return entries
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

/** Loads a version the source announced and swaps it in; a failure leaves the old one serving. */
const swapTo = (
  registry: Registry,
  live: LiveModel,
  load: (change: Change) => Effect.Effect<Generation, LoadFailure>,
  ref: ModelRef.ModelRef,
  change: Change,
) =>
  Effect.gen(function* () {
    // The source says what serves already (its first announcement is its current version).
    const serving = live.current.session.version
    if (change.version !== undefined && change.version === serving) return
    const next = yield* Effect.exit(load(change))
    if (Exit.isFailure(next)) {
      const error = Exit.findErrorOption(next)
      if (error._tag === "None") {
        if (Exit.hasInterrupts(next)) return
        return yield* Effect.logError(
          `model "${ref.name}" version ${change.version ?? "?"} could not be swapped in; version ${serving ?? "?"} keeps serving`,
          next.cause,
        )
      }
      emit(registry, {
        _tag: "SwapFailed",
        model: ref.name,
        version: change.version,
        error: error.value,
      })
      return yield* Effect.logWarning(
        `model "${ref.name}" version ${change.version ?? "?"} failed to load; version ${serving ?? "?"} keeps serving: ${error.value.message}`,
      )
    }
    const generation = next.value
    // The same bytes again (a republish): the lease just taken is not needed.
    if (generation.session === live.current.session) return generation.end()
    live.swap(generation)
    emit(registry, {
      _tag: "Swapped",
      model: ref.name,
      from: serving,
      to: generation.session.version,
    })
  })

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
  // The ref as written (two names for one file are two live models) and the
  // options that make another session (warm-up feeds count only as "warm up").
  const key = JSON.stringify(
    [ref.name, ref.uri, ref.version, ModelRef.pinnedSha256(ref), options],
    (k, v) => (k === "warmup" ? !!v : v),
  )
  return Effect.flatMap(backendKey, (backend) =>
    Effect.flatMap(ModelSource, (source) => {
      const registry = registryOf(backend)
      const entries = entriesOf(registry, source)
      const known = entries.get(key)
      if (known?.model !== undefined) return Effect.succeed(known.model)
      if (known !== undefined) return Deferred.await(known.ready)
      const entry: Entry = { ready: Deferred.makeUnsafe(), model: undefined }
      entries.set(key, entry)
      const load = (change: Change | undefined) =>
        loadGeneration(backend, source, ref, options, change)
      const start = Effect.gen(function* () {
        const first = yield* load(undefined)
        const model = new LiveModel(first, backend.capabilities.batching)
        entry.model = model
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
        yield* Deferred.succeed(entry.ready, model)
        const changes = source.changes?.(ref)
        if (changes === undefined) return
        // Its first announcement is the current version: one made current during the first load is seen here.
        yield* Stream.runForEach(changes, (change) => swapTo(registry, model, load, ref, change))
      }).pipe(
        Effect.onExit((exit) => {
          if (entry.model !== undefined || Exit.isSuccess(exit)) return Effect.void
          entries.delete(key) // the next caller tries again
          return Deferred.failCause(entry.ready, exit.cause)
        }),
        // The load belongs to no caller: none of their progress listeners hears it.
        Progress.withListener(undefined),
      )
      const scope = scopes.get(backend)
      const forked = scope === undefined ? Effect.forkDetach(start) : Effect.forkIn(start, scope)
      return Effect.andThen(forked, Deferred.await(entry.ready))
    }),
  )
}

/**
 * The session of the model's current version, held (and so kept loaded)
 * until the scope closes, even when a newer version serves meanwhile.
 */
export const session = <Id = InferenceBackend>(
  ref: ModelRef.ModelRef,
  options: SessionOptions = {},
  backendKey?: Key<Id>,
): Effect.Effect<Session, LoadFailure, Id | ModelSource | Scope.Scope> =>
  Effect.flatMap(live(ref, options, backendKey), (model) =>
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => model.use()),
        (generation) => Effect.sync(() => model.done(generation)),
      ),
      (generation) => generation.session,
    ),
  )

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
