/**
 * The spec that turns a `ModelRef` into bytes. Runtimes provide file and URL
 * sources; `@edgeline/sync` provides the fleet's verified, activated version.
 */
import { Context, Effect } from "effect"
import { ModelNotFoundError, messageOf } from "./Errors.js"
import { type ModelBytes, type ModelRef, pinnedSha256 } from "./ModelRef.js"

export interface Shape {
  readonly resolve: (ref: ModelRef) => Effect.Effect<ModelBytes, ModelNotFoundError>
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
