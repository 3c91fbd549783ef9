export * as LabelJob from "./label/LabelJob.js"
export {
  InvalidItemError,
  LabelCacheError,
  LabelJobError,
} from "./label/LabelJobErrors.js"
export * as OpenAiTeacher from "./teacher/OpenAiTeacher.js"
export * as Teacher from "./teacher/Teacher.js"
export {
  TeacherAnswerError,
  TeacherOptionsError,
  TeacherRejectedError,
  TeacherRequestError,
} from "./teacher/TeacherErrors.js"
