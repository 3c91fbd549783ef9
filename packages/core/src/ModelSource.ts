/**
 * The spec that turns a `ModelRef` into bytes. Runtimes provide file and URL
 * sources; `@edgeline/sync` provides the fleet's verified, activated version.
 */
import { Context, type Effect } from "effect"
import type { ModelNotFoundError } from "./Errors.js"
import type { ModelBytes, ModelRef } from "./ModelRef.js"

export interface Shape {
  readonly resolve: (ref: ModelRef) => Effect.Effect<ModelBytes, ModelNotFoundError>
}

export class ModelSource extends Context.Service<ModelSource, Shape>()(
  "@edgeline/core/ModelSource",
) {}
