export * as Evaluation from "./evaluate/Evaluation.js"
export { EvaluationInputError } from "./evaluate/EvaluationInputError.js"
export * as Report from "./report/Report.js"
export { ReportInputError, ReportWriteError } from "./report/ReportError.js"
