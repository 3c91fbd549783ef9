/**
 * Checks an evaluation's input and reduces every item to what the metrics
 * read: the student's label and confidence, the teacher's label and the
 * truth, as indices into `labels`.
 */
import { EvaluationInputError } from "./EvaluationInputError.js"

/** How far a probability vector's sum may be from 1: float32 softmax and teachers' rounded JSON numbers both land within it. */
export const SUM_TOLERANCE = 1e-3

/** The most calibration bins accepted: beyond it every bin holds a handful of items and the ECE is noise. */
export const MAX_BINS = 1000

/** An item reduced to indices; -1 means "absent". */
export interface Prepared {
  readonly labels: ReadonlyArray<string>
  /** The positive class's index, or -1 when there is none. */
  readonly positive: number
  readonly size: number
  /** argmax of each item's student probabilities (the first, on a tie). */
  readonly student: Int32Array
  /** The student's confidence: its largest probability. */
  readonly confidence: Float64Array
  /** The truth's index, or -1 for an item without truth. */
  readonly truth: Int32Array
  readonly withTruth: number
  /** argmax of the teacher's probabilities; undefined when no item has them. */
  readonly teacher: Int32Array | undefined
  /** argmax of the teacher's probabilities for the item as the cascade escalates it; `teacher` when no item has them. */
  readonly escalated: Int32Array | undefined
  readonly bins: number
}

export interface InputShape {
  readonly labels: ReadonlyArray<string>
  readonly positive?: string | undefined
  readonly items: ReadonlyArray<{
    readonly truth?: string | undefined
    readonly teacher?: ArrayLike<number> | undefined
    readonly escalated?: ArrayLike<number> | undefined
    readonly student: ArrayLike<number>
  }>
  readonly bins?: number | undefined
}

const fail = (message: string, item?: number): never => {
  throw new EvaluationInputError({ message, item })
}

const checkLabels = (labels: unknown): ReadonlyArray<string> => {
  if (!Array.isArray(labels) || labels.length < 2) {
    return fail(`labels must list at least two classes, got ${JSON.stringify(labels)}`)
  }
  for (const label of labels) {
    if (typeof label !== "string" || label === "") {
      fail(`labels must be non-empty strings, got ${JSON.stringify(label)}`)
    }
  }
  if (new Set(labels).size !== labels.length) {
    fail(`labels must be distinct, got ${JSON.stringify(labels)}`)
  }
  return labels
}

/** The index of the largest probability, after checking the vector is a distribution over `labels`. */
const argmax = (
  probabilities: ArrayLike<number> | undefined,
  labels: ReadonlyArray<string>,
  where: string,
  item: number,
): { readonly index: number; readonly max: number } => {
  if (
    probabilities === null ||
    typeof probabilities !== "object" ||
    typeof probabilities.length !== "number"
  ) {
    return fail(`${where} must be an array of probabilities, one per label`, item)
  }
  if (probabilities.length !== labels.length) {
    fail(
      `${where} has ${probabilities.length} probabilities; labels has ${labels.length} (${labels.join(", ")})`,
      item,
    )
  }
  let index = 0
  let max = Number.NEGATIVE_INFINITY
  let sum = 0
  for (let j = 0; j < probabilities.length; j++) {
    const p = probabilities[j]!
    if (typeof p !== "number" || !Number.isFinite(p) || p < 0 || p > 1) {
      fail(`${where}[${j}] is ${p}; a probability is a number from 0 to 1`, item)
    }
    sum += p
    if (p > max) {
      max = p
      index = j
    }
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    fail(`${where} sums to ${sum}, not 1; pass probabilities (apply softmax to logits)`, item)
  }
  return { index, max }
}

/** Checks the input and reduces it; throws `EvaluationInputError` on the first problem. */
export const prepare = (input: InputShape): Prepared => {
  if (input === null || typeof input !== "object") {
    return fail("the input must be an object with labels and items")
  }
  const labels = checkLabels(input.labels)
  const index = new Map(labels.map((label, i) => [label, i]))

  let positive = -1
  if (input.positive !== undefined) {
    positive = index.get(input.positive) ?? -1
    if (positive < 0) {
      fail(
        `positive ${JSON.stringify(input.positive)} is not one of the labels (${labels.join(", ")})`,
      )
    }
  } else if (labels.length === 2) {
    positive = 1
  }

  const bins = input.bins ?? 15
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) {
    fail(`bins must be an integer from 1 to ${MAX_BINS}, got ${bins}`)
  }

  const items = input.items
  if (!Array.isArray(items) || items.length === 0) {
    return fail("items is empty: there is nothing to evaluate")
  }
  const size = items.length
  const withTeacherCount = items.filter((item) => item?.teacher !== undefined).length
  if (withTeacherCount !== 0 && withTeacherCount !== size) {
    const missing = items.findIndex((item) => item?.teacher === undefined)
    fail(
      `teacher probabilities are on ${withTeacherCount} of ${size} items (items[${missing}] has none); give them for every item or for none`,
      missing,
    )
  }

  const withEscalatedCount = items.filter((item) => item?.escalated !== undefined).length
  if (withEscalatedCount !== 0 && withEscalatedCount !== size) {
    const missing = items.findIndex((item) => item?.escalated === undefined)
    fail(
      `escalated probabilities are on ${withEscalatedCount} of ${size} items (items[${missing}] has none); give them for every item or for none`,
      missing,
    )
  }
  if (withEscalatedCount !== 0 && withTeacherCount === 0) {
    fail(
      "escalated probabilities need the teacher's too: give teacher probabilities for every item",
    )
  }

  const student = new Int32Array(size)
  const confidence = new Float64Array(size)
  const truth = new Int32Array(size).fill(-1)
  const teacher = withTeacherCount === 0 ? undefined : new Int32Array(size)
  const escalated = withEscalatedCount === 0 ? teacher : new Int32Array(size)
  let withTruth = 0
  for (let i = 0; i < size; i++) {
    const item = items[i]
    if (item === null || typeof item !== "object") {
      fail(`items[${i}] must be an object with student probabilities`, i)
    }
    const s = argmax(item!.student, labels, `items[${i}].student`, i)
    student[i] = s.index
    confidence[i] = s.max
    if (teacher !== undefined) {
      teacher[i] = argmax(item!.teacher, labels, `items[${i}].teacher`, i).index
    }
    if (escalated !== teacher) {
      escalated![i] = argmax(item!.escalated, labels, `items[${i}].escalated`, i).index
    }
    if (item!.truth !== undefined) {
      const t = index.get(item!.truth)
      if (t === undefined) {
        fail(
          `items[${i}].truth ${JSON.stringify(item!.truth)} is not one of the labels (${labels.join(", ")})`,
          i,
        )
      }
      truth[i] = t!
      withTruth++
    }
  }
  return { labels, positive, size, student, confidence, truth, withTruth, teacher, escalated, bins }
}
