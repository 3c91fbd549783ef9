/** Confusion matrices and the positive class's precision, recall and F1 read from them. */

/** The positive class scored against a reference; a ratio with nothing to divide by is null. */
export interface PositiveClass {
  readonly label: string
  /** Of the items the student called positive, the share the reference calls positive. */
  readonly precision: number | null
  /** Of the reference's positives, the share the student found. */
  readonly recall: number | null
  /** The harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number | null
  /** The reference's positives. */
  readonly support: number
  /** The student's positives. */
  readonly predicted: number
}

export interface Confusion {
  /** What the rows are; the columns are always the student's labels. */
  readonly reference: "truth" | "teacher"
  /** `matrix[r][s]`: items the reference labels `labels[r]` and the student `labels[s]`. */
  readonly matrix: ReadonlyArray<ReadonlyArray<number>>
  /** The items counted (those that have the reference). */
  readonly items: number
  /** Null when there is no positive class (more than two labels and none named). */
  readonly positive: PositiveClass | null
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole)

export const positiveClass = (
  matrix: ReadonlyArray<ReadonlyArray<number>>,
  positive: number,
  label: string,
): PositiveClass => {
  const truePositives = matrix[positive]![positive]!
  const support = matrix[positive]!.reduce((a, b) => a + b, 0)
  const predicted = matrix.reduce((sum, row) => sum + row[positive]!, 0)
  const precision = ratio(truePositives, predicted)
  const recall = ratio(truePositives, support)
  const f1 =
    precision === null || recall === null
      ? null
      : precision + recall === 0
        ? 0
        : (2 * precision * recall) / (precision + recall)
  return { label, precision, recall, f1, support, predicted }
}

/** The student against `reference` (an index per item, -1 to skip the item). */
export const confusion = (
  labels: ReadonlyArray<string>,
  positive: number,
  reference: "truth" | "teacher",
  referenceLabels: Int32Array,
  student: Int32Array,
): Confusion => {
  const matrix = labels.map(() => labels.map(() => 0))
  let items = 0
  for (let i = 0; i < student.length; i++) {
    const r = referenceLabels[i]!
    if (r < 0) continue
    matrix[r]![student[i]!]!++
    items++
  }
  return {
    reference,
    matrix,
    items,
    positive: positive < 0 ? null : positiveClass(matrix, positive, labels[positive]!),
  }
}
