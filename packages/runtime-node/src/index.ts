/**
 * @edgeline/runtime-node — run Edgeline pipelines on Node with
 * onnxruntime-node, in-process or in a worker thread.
 */
export * as ModelSources from "./ModelSources.js"
export * as NodeRuntime from "./NodeRuntime.js"
export { type ConnectOptions, connectWorker, serveWorker } from "./NodeWorker.js"
export * as OnnxBackend from "./OnnxBackend.js"
