/**
 * @edgeline/ort — what the onnxruntime-node and onnxruntime-web runtimes
 * share: an `InferenceBackend` adapter over onnxruntime-common's API.
 */
export * as OrtBackend from "./OrtBackend.js"
