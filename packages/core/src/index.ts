/**
 * @edgeline/core — typed edge-AI pipeline stages on Effect.
 *
 * No Node or DOM API is used here: the same pipeline runs in a browser Web
 * Worker and in Node; platform things enter through services (Layers).
 */
export * as Condense from "./Condense.js"
export * as Errors from "./Errors.js"
export {
  CancelledError,
  InferenceError,
  InputValidationError,
  ModelLoadError,
  ModelNotFoundError,
  StreamEndedError,
  TensorShapeError,
  UnexpectedError,
  WorkerError,
} from "./Errors.js"
export * as Escalate from "./Escalate.js"
export * as Executor from "./Executor.js"
export * as Infer from "./Infer.js"
export * as InferenceBackend from "./InferenceBackend.js"
export * as Model from "./Model.js"
export * as ModelRef from "./ModelRef.js"
export * as ModelSource from "./ModelSource.js"
export * as OrtBackend from "./OrtBackend.js"
export * as Pipeline from "./Pipeline.js"
export * as Progress from "./Progress.js"
export * as Runner from "./Runner.js"
export { createRunner } from "./Runner.js"
export * as Stage from "./Stage.js"
export * as Tap from "./Tap.js"
export * as Tensor from "./Tensor.js"
export * as Transfer from "./Transfer.js"
export * as Transport from "./Transport.js"
export { connect, serve } from "./Transport.js"
