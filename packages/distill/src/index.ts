/**
 * `@edgeline/distill`: a big (cloud) teacher labels data, a small student
 * is trained in TypeScript and exported to ONNX for the edge. The
 * featurizer alone, for devices, is `@edgeline/distill/features`.
 */

export * as Distillation from "./Distillation.js"
export { DataError } from "./data/DataError.js"
export * as LabelledSet from "./data/LabelledSet.js"
export * as SpamAssassin from "./data/SpamAssassin.js"
export * as TextRecords from "./data/TextRecords.js"
export * as EvaluateModel from "./evaluate/EvaluateModel.js"
export * as Evaluation from "./evaluate/Evaluation.js"
export { EvaluationInputError } from "./evaluate/EvaluationInputError.js"
export type { SparseFeatures } from "./features/Featurizer.js"
export * as Featurizer from "./features/Featurizer.js"
export * as FeaturizerConfig from "./features/FeaturizerConfig.js"
export { FeaturizerConfigError } from "./features/FeaturizerConfigError.js"
export * as SparseBatch from "./features/SparseBatch.js"
export * as LabelJob from "./label/LabelJob.js"
export {
  InvalidItemError,
  LabelCacheError,
  LabelJobError,
} from "./label/LabelJobErrors.js"
export * as ModelCard from "./onnx/ModelCard.js"
export { ModelFormatError } from "./onnx/ModelFormatError.js"
export * as OnnxExport from "./onnx/OnnxExport.js"
export * as OnnxImport from "./onnx/OnnxImport.js"
export * as Presets from "./Presets.js"
export * as Plot from "./report/Plot.js"
export * as Report from "./report/Report.js"
export { ReportInputError, ReportWriteError } from "./report/ReportError.js"
export * as Classifier from "./student/Classifier.js"
export * as DistillationLoss from "./student/DistillationLoss.js"
export * as Network from "./student/Network.js"
export * as Student from "./student/Student.js"
export * as Trainer from "./student/Trainer.js"
export { TrainingError } from "./student/TrainingError.js"
export * as OnnxTeacher from "./teacher/OnnxTeacher.js"
export * as OpenAiTeacher from "./teacher/OpenAiTeacher.js"
export * as Teacher from "./teacher/Teacher.js"
export {
  TeacherAnswerError,
  TeacherOptionsError,
  TeacherRejectedError,
  TeacherRequestError,
} from "./teacher/TeacherErrors.js"
