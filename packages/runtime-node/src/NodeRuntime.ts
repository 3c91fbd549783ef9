/**
 * Everything a pipeline needs on Node, as one Layer: the onnxruntime-node
 * backend and the file/npm/URL model source.
 *
 * @example
 * ```ts
 * import { Pipeline } from "@edgeline/core"
 * import { NodeRuntime } from "@edgeline/runtime-node"
 * await Effect.runPromise(Pipeline.run(voiceGate, wav).pipe(Effect.provide(NodeRuntime.layer())))
 * ```
 */
import type { InferenceBackend, ModelSource } from "@edgeline/core"
import { Layer } from "effect"
import * as ModelSources from "./ModelSources.js"
import * as OnnxBackend from "./OnnxBackend.js"

export interface Options extends OnnxBackend.Options, ModelSources.Options {}

export const layer = (
  options: Options = {},
): Layer.Layer<InferenceBackend.InferenceBackend | ModelSource.ModelSource> =>
  Layer.mergeAll(OnnxBackend.layer(options), ModelSources.layer(options))
