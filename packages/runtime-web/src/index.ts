/**
 * @edgeline/runtime-web — run Edgeline pipelines in the browser with
 * onnxruntime-web, on the page or in a Web Worker.
 */
export * as FetchModelSource from "./FetchModelSource.js"
export * as WebBackend from "./WebBackend.js"
export * as WebRuntime from "./WebRuntime.js"
export {
  type ConnectOptions,
  connectWorker,
  isOnnxRuntimeThread,
  serveWorker,
} from "./WebWorker.js"
