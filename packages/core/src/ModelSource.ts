/**
 * The spec that turns a `ModelRef` into bytes, and may announce that a
 * model's current version changed. Runtimes provide file and URL sources;
 * `@edgeline/sync` provides the fleet's verified, activated version; `memory`
 * holds models given to it by the app (one it trained or downloaded itself).
 */
import { Context, Deferred, Effect, type Scope, Stream, SubscriptionRef } from "effect"
import { ModelNotFoundError, messageOf } from "./Errors.js"
import { type ModelBytes, type ModelRef, pinnedSha256 } from "./ModelRef.js"

/** A version a source now serves for a model. */
export interface Change {
  readonly model: string
  readonly version?: string | undefined
}

export interface Shape {
  /** The bytes of the model's current version. */
  readonly resolve: (ref: ModelRef) => Effect.Effect<ModelBytes, ModelNotFoundError>
  /**
   * The ref's current version, then each change of it, as
   * `SubscriptionRef.changes` does: a version made current while the first
   * one loads is not missed. A source whose models never change leaves it
   * out. The stream ends when the source's Layer closes.
   */
  readonly changes?: ((ref: ModelRef) => Stream.Stream<Change>) | undefined
}

export class ModelSource extends Context.Service<ModelSource, Shape>()(
  "@edgeline/core/ModelSource",
) {}

/** The error every source gives for a ref it cannot deliver, saying why. */
export const notFound = (ref: ModelRef, why: string): ModelNotFoundError =>
  new ModelNotFoundError({ model: ref.name, message: `model "${ref.name}" (${ref.uri}): ${why}` })

/** The error for a pinned ref whose bytes hash to something else. */
export const sha256Mismatch = (ref: ModelRef, actual: string): ModelNotFoundError =>
  notFound(
    ref,
    `sha256 is ${actual}, expected ${ref.sha256}; the bytes are not the model the ref names`,
  )

/**
 * A `resolve` from a Promise of the ref's bytes: a `ModelNotFoundError` it
 * throws passes as is, anything else becomes one saying what went wrong.
 */
export const fromPromise = (
  ref: ModelRef,
  read: () => Promise<Uint8Array>,
): Effect.Effect<ModelBytes, ModelNotFoundError> =>
  Effect.tryPromise({
    try: async () => ({ ref, bytes: await read(), sha256: pinnedSha256(ref) }),
    catch: (e) => (e instanceof ModelNotFoundError ? e : notFound(ref, messageOf(e))),
  })

/** A model version handed to a `memory` source. */
export interface Published {
  readonly bytes: Uint8Array
  readonly version?: string | undefined
}

/** A source of models the app holds in memory; `publish` makes a new version current. */
export interface Memory extends Shape {
  /** Makes `model` the current version of `name` and announces it to everyone watching. */
  readonly publish: (name: string, model: Published) => Effect.Effect<void>
}

/**
 * A source that serves what was published to it, by model name (the ref's
 * `name`; its `uri` is not read), announcing every publish. Closing the
 * scope ends the announcements.
 *
 * @example
 * ```ts
 * const source = yield* ModelSource.memory({ triage: { bytes: v1, version: "1" } })
 * yield* source.publish("triage", { bytes: v2, version: "2" }) // runners switch to it
 * ```
 */
export const memory = (
  initial: Readonly<Record<string, Published>> = {},
): Effect.Effect<Memory, never, Scope.Scope> =>
  Effect.gen(function* () {
    const current = yield* SubscriptionRef.make<ReadonlyMap<string, Published>>(
      new Map(Object.entries(initial)),
    )
    const closed = yield* Deferred.make<void>()
    yield* Effect.addFinalizer(() => Deferred.succeed(closed, undefined))
    return {
      resolve: (ref) =>
        Effect.flatMap(SubscriptionRef.get(current), (models) => {
          const found = models.get(ref.name)
          return found === undefined
            ? Effect.fail(notFound(ref, "nothing was published under this name"))
            : Effect.succeed({ ref, bytes: found.bytes, version: found.version })
        }),
      changes: (ref) =>
        SubscriptionRef.changes(current).pipe(
          Stream.map((models) => models.get(ref.name)),
          // Publishing another model leaves this one's entry as it was.
          Stream.changes,
          Stream.filter((found): found is Published => found !== undefined),
          Stream.map((found) => ({ model: ref.name, version: found.version })),
          Stream.interruptWhen(Deferred.await(closed)),
        ),
      publish: (name, model) =>
        SubscriptionRef.update(current, (models) => new Map(models).set(name, model)),
    }
  })
