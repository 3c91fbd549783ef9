/**
 * Everything a pipeline needs in a browser (page or Web Worker), as one
 * Layer: the onnxruntime-web backend and the fetch + Cache Storage source.
 *
 * @example
 * ```ts
 * import wasm from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
 * import silero from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
 * const layer = WebRuntime.layer({
 *   wasmPaths: { wasm },
 *   models: { [SileroVad.model.uri]: silero },
 * })
 * ```
 */
import type { InferenceBackend, ModelSource } from "@edgeline/core"
import { Layer } from "effect"
import * as FetchModelSource from "./FetchModelSource.js"
import * as WebBackend from "./WebBackend.js"

export interface Options extends WebBackend.Options, FetchModelSource.Options {}

export const layer = (
  options: Options,
): Layer.Layer<InferenceBackend.InferenceBackend | ModelSource.ModelSource> =>
  Layer.mergeAll(WebBackend.layer(options), FetchModelSource.layer(options))
