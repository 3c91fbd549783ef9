/**
 * What a report shows beside the evaluation: names, size, latency, training
 * time. All optional; the page leaves out what is not given.
 */
import { ReportInputError } from "./ReportError.js"

export interface Extras {
  /** The page's title. Default "Distillation report". */
  readonly title?: string | undefined
  /** What the items were, e.g. "SpamAssassin public corpus, 20% held out". */
  readonly dataset?: string | undefined
  readonly student?:
    | {
        readonly name?: string | undefined
        /** The size of the exported model file, in bytes. */
        readonly bytes?: number | undefined
        readonly parameters?: number | undefined
        /** Mean time per item, in milliseconds (featurizing included). */
        readonly msPerItem?: number | undefined
      }
    | undefined
  readonly teacher?:
    | {
        readonly name?: string | undefined
        /** Mean time per item, in milliseconds. */
        readonly msPerItem?: number | undefined
      }
    | undefined
  /** Wall-clock training time, in milliseconds. */
  readonly trainingMs?: number | undefined
}

const fail = (message: string): never => {
  throw new ReportInputError({ message })
}

const checkNumber = (value: unknown, field: string): void => {
  if (value === undefined) return
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    fail(`extras.${field} must be a non-negative number, got ${String(value)}`)
  }
}

const checkString = (value: unknown, field: string): void => {
  if (value !== undefined && typeof value !== "string") {
    fail(`extras.${field} must be a string, got ${typeof value}`)
  }
}

const checkObject = (value: unknown, field: string): void => {
  if (value !== undefined && (value === null || typeof value !== "object")) {
    fail(`extras.${field} must be an object, got ${String(value)}`)
  }
}

/** Throws `ReportInputError` for anything the page could not show as given. */
export const check = (extras: Extras): Extras => {
  checkObject(extras, "")
  checkString(extras.title, "title")
  checkString(extras.dataset, "dataset")
  checkNumber(extras.trainingMs, "trainingMs")
  checkObject(extras.student, "student")
  checkString(extras.student?.name, "student.name")
  checkNumber(extras.student?.bytes, "student.bytes")
  checkNumber(extras.student?.parameters, "student.parameters")
  checkNumber(extras.student?.msPerItem, "student.msPerItem")
  checkObject(extras.teacher, "teacher")
  checkString(extras.teacher?.name, "teacher.name")
  checkNumber(extras.teacher?.msPerItem, "teacher.msPerItem")
  return extras
}
