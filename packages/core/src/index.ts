/**
 * @edgeline/core — typed edge-AI pipeline stages on Effect.
 *
 * No Node or DOM API is used here: the same pipeline runs in a browser Web
 * Worker and in Node; platform things enter through services (Layers).
 *
 * This list is the package's whole public surface; what lives in
 * `src/internal/` is not part of it and may change in any release.
 */
export * as CloudModel from "./CloudModel.js"
export * as Condense from "./Condense.js"
export {
  CancelledError,
  CloudAnswerError,
  CloudCircuitOpenError,
  CloudRejectedError,
  CloudRequestError,
  CloudTimeoutError,
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
export * as Infer from "./Infer.js"
export * as InferenceBackend from "./InferenceBackend.js"
export * as Model from "./Model.js"
export * as ModelRef from "./ModelRef.js"
export * as ModelSource from "./ModelSource.js"
export * as OpenAiCloudModel from "./OpenAiCloudModel.js"
export * as Pipeline from "./Pipeline.js"
export * as Progress from "./Progress.js"
export * as Runner from "./Runner.js"
export { createRunner } from "./Runner.js"
export * as Stage from "./Stage.js"
export * as Tap from "./Tap.js"
export * as Telemetry from "./Telemetry.js"
export * as Tensor from "./Tensor.js"
export * as Transport from "./Transport.js"
export { connect, serve } from "./Transport.js"
