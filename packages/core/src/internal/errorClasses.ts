/** Core's error classes, by tag: the worker transport rebuilds errors of these types. */
import {
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
} from "../Errors.js"

export const coreErrors = [
  InputValidationError,
  TensorShapeError,
  ModelNotFoundError,
  ModelLoadError,
  InferenceError,
  CancelledError,
  StreamEndedError,
  WorkerError,
  UnexpectedError,
  CloudRequestError,
  CloudTimeoutError,
  CloudRejectedError,
  CloudCircuitOpenError,
  CloudAnswerError,
] as const
