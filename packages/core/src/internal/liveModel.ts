/**
 * A model kept at its source's current version: the session of that
 * version, the runs and streams using it, and the swap to a new version.
 *
 * A run takes the current generation (`use`) and gives it back (`done`);
 * a swap retires the old generation, whose lease on its session ends once
 * its last user is done, and the backend releases the session once its
 * runs have finished. So in-flight runs finish on the old version, later
 * ones take the new one, and no run sees both.
 */
import { Effect, Exit, Scope } from "effect"
import type { ModelLoadError, ModelNotFoundError } from "../Errors.js"
import type { Session } from "../InferenceBackend.js"

export type LoadFailure = ModelLoadError | ModelNotFoundError

export class Generation {
  users = 0
  retired = false
  constructor(
    readonly session: Session,
    /** Holds the lease on the session. */
    readonly scope: Scope.Closeable,
  ) {}
  end(): void {
    Effect.runFork(Scope.close(this.scope, Exit.void))
  }
}

export class LiveModel {
  constructor(
    public current: Generation,
    /** Whether its backend runs feeds stacked on dim 0 as one call. */
    readonly batching: boolean,
  ) {}

  /** The current generation, held until `done`. */
  use(): Generation {
    const generation = this.current
    generation.users++
    return generation
  }

  done(generation: Generation): void {
    if (--generation.users === 0 && generation.retired) generation.end()
  }

  /** Whether a newer generation than `generation` serves now. */
  stale(generation: Generation): boolean {
    return generation !== this.current
  }

  /** Makes `next` current; the old one ends after its last user. */
  swap(next: Generation): void {
    const old = this.current
    this.current = next
    old.retired = true
    if (old.users === 0) old.end()
  }
}
