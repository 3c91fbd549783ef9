/**
 * The spec of where a device keeps what sync fetched: chunks by their
 * sha256, partial chunks (so a download resumes where a cut left it, with
 * a Range request), whole verified models by their sha256, and a small
 * state — per model the active version and the one before it, per channel
 * the highest manifest version accepted and its ETag — replaced
 * atomically. Stores: Node's filesystem (`@edgeline/sync/node`), the
 * browser's (IndexedDB / OPFS).
 *
 * The contract every store keeps, whatever instant the process dies at:
 * a model it lists as active or previous is present, whole and verified;
 * the state is the last one committed, or the one before; no write is seen
 * half done (a chunk or model is there entirely or not at all). Callers
 * verify hashes before writing; a store never serves bytes it has not
 * been given whole.
 */
import { Context, type Effect } from "effect"
import type { StoreError } from "./Errors.js"

/** A model version on the device. */
export interface Installed {
  readonly version: string
  readonly sha256: string
  readonly size: number
  /** When it became active (ISO 8601). */
  readonly activated: string
  /** The manifest entry's metadata (e.g. the drift reference). */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
}

export interface ModelState {
  readonly active: Installed
  /** What was active before: `rollback` returns to it. */
  readonly previous?: Installed | undefined
  /**
   * The sha256 of the version rolled back from: it is not activated again
   * while the registry offers it; another version clears it.
   */
  readonly refused?: string | undefined
}

export interface ChannelState {
  /** The highest manifest version accepted: a lower one is a replay. */
  readonly accepted: number
  /** The manifest's ETag, for `If-None-Match`. */
  readonly etag?: string | undefined
}

export interface State {
  readonly models: Readonly<Record<string, ModelState>>
  readonly channels: Readonly<Record<string, ChannelState>>
}

export const empty: State = { models: {}, channels: {} }

export interface Shape {
  readonly hasChunk: (sha256: string) => Effect.Effect<boolean, StoreError>
  /** A whole chunk (already verified by the caller), written atomically. */
  readonly writeChunk: (sha256: string, bytes: Uint8Array) => Effect.Effect<void, StoreError>
  readonly readChunk: (sha256: string) => Effect.Effect<Uint8Array | undefined, StoreError>
  /** The bytes of a chunk received so far (a cut download), if any. */
  readonly readPartial: (sha256: string) => Effect.Effect<Uint8Array | undefined, StoreError>
  /** Appends to a partial chunk (made if missing). A torn append may be lost, never garbled. */
  readonly appendPartial: (sha256: string, bytes: Uint8Array) => Effect.Effect<void, StoreError>
  readonly dropPartial: (sha256: string) => Effect.Effect<void, StoreError>
  /**
   * Writes a model from its chunks, in order (all present), atomically, and
   * checks it hashes to `sha256`: the model is there whole and verified, or
   * not at all (an `IntegrityError` from the caller's side is the store's
   * `StoreError` here, naming both hashes).
   */
  readonly writeModel: (
    sha256: string,
    chunks: ReadonlyArray<string>,
  ) => Effect.Effect<void, StoreError>
  readonly hasModel: (sha256: string) => Effect.Effect<boolean, StoreError>
  readonly readModel: (sha256: string) => Effect.Effect<Uint8Array | undefined, StoreError>
  /** The last committed state (`empty` for a new store). */
  readonly state: Effect.Effect<State, StoreError>
  /** Replaces the state atomically; every model it names must be present (else a `StoreError`). */
  readonly commit: (next: State) => Effect.Effect<void, StoreError>
  /**
   * Deletes chunks, partials and models the state no longer needs: models
   * other than each name's active and previous, chunks of nothing kept.
   */
  readonly collect: (keepChunks: ReadonlySet<string>) => Effect.Effect<void, StoreError>
}

export class Store extends Context.Service<Store, Shape>()("@edgeline/sync/Store") {}
