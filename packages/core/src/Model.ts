/**
 * Getting a ready session for a `ModelRef`, and keeping it current: resolve
 * the bytes through the `ModelSource` (or hand a `modelInput: "ref"` backend
 * the ref), load them with the backend, and when the source announces a new
 * version, load that and swap. Models are remembered per backend instance,
 * so a stage pays for resolution once, not per run.
 *
 * Swaps: runs in flight finish on the old version and the next run takes the
 * new one; the old session is released after its last run. A new version
 * that fails to load leaves the old one serving and reports a `SwapFailed`
 * event (see `watch`) with the typed error.
 */
import type { Effect, Scope } from "effect"
import type { ModelLoadError, ModelNotFoundError } from "./Errors.js"
import type { InferenceBackend, Key, Session, SessionOptions, Warning } from "./InferenceBackend.js"
import * as Models from "./internal/models.js"
import type { ModelRef } from "./ModelRef.js"
import type { ModelSource } from "./ModelSource.js"

/** What happened to a model while the app ran. */
export type Event =
  | {
      readonly _tag: "Loaded"
      readonly model: string
      readonly version: string | undefined
      /** Options the backend was given for it and does not apply. */
      readonly warnings: ReadonlyArray<Warning>
    }
  | {
      readonly _tag: "Swapped"
      readonly model: string
      readonly from: string | undefined
      readonly to: string | undefined
    }
  | {
      readonly _tag: "SwapFailed"
      readonly model: string
      /** The version that failed to load; the one before it still serves. */
      readonly version: string | undefined
      readonly error: ModelLoadError | ModelNotFoundError
    }

export type Listener = (event: Event) => void

/**
 * The session of the model's current version on a backend (default
 * `InferenceBackend`), held — so kept loaded — until the scope closes, even
 * when a newer version serves meanwhile. Stages hold theirs the same way,
 * one run or one stream at a time.
 */
export const session: {
  (
    ref: ModelRef,
    options?: SessionOptions,
  ): Effect.Effect<
    Session,
    ModelLoadError | ModelNotFoundError,
    InferenceBackend | ModelSource | Scope.Scope
  >
  <Id>(
    ref: ModelRef,
    options: SessionOptions | undefined,
    backend: Key<Id>,
  ): Effect.Effect<Session, ModelLoadError | ModelNotFoundError, Id | ModelSource | Scope.Scope>
} = Models.session

/**
 * Hears what happens to the models of a backend (default `InferenceBackend`)
 * from now on: loads, swaps, swaps that failed. Returns the unsubscribe.
 */
export const watch: {
  (listener: Listener): Effect.Effect<() => void, never, InferenceBackend>
  <Id>(listener: Listener, backend: Key<Id>): Effect.Effect<() => void, never, Id>
} = Models.watch
