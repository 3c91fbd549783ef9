/**
 * Expected calibration error over equal-width confidence bins on [0, 1]
 * (Guo et al., 2017): the fixed [0, 1] grid keeps ECE comparable with
 * published numbers, even though a classifier's confidence never falls
 * below 1 / labels and the lower bins stay empty.
 */

export interface ReliabilityBin {
  /** Confidences from `lower` (inclusive) to `upper` (exclusive; the last bin includes 1). */
  readonly lower: number
  readonly upper: number
  readonly count: number
  /** Null for an empty bin. */
  readonly meanConfidence: number | null
  /** The share of the bin's items the student labels as the reference does; null for an empty bin. */
  readonly accuracy: number | null
}

export interface Calibration {
  /** What "correct" means: agreeing with the truth, or with the teacher when there is no truth. */
  readonly reference: "truth" | "teacher"
  /** The items counted (those that have the reference). */
  readonly items: number
  /** Σ over bins of (bin count / items) · |accuracy − mean confidence|: 0 is perfectly calibrated. */
  readonly ece: number
  readonly bins: ReadonlyArray<ReliabilityBin>
}

/**
 * The bin of a value in [0, 1] on an equal-width grid of `bins` bins (1 goes
 * into the last). Checked against the edges as reported (`b / bins`), so a
 * value on an edge lands where the report says, whatever `value * bins` rounds to.
 */
export const binOf = (value: number, bins: number): number => {
  let b = Math.min(bins - 1, Math.max(0, Math.floor(value * bins)))
  if (b > 0 && value < b / bins) b--
  else if (b < bins - 1 && value >= (b + 1) / bins) b++
  return b
}

export const calibration = (
  reference: "truth" | "teacher",
  referenceLabels: Int32Array,
  student: Int32Array,
  confidence: Float64Array,
  bins: number,
): Calibration => {
  const counts = new Float64Array(bins)
  const confidenceSums = new Float64Array(bins)
  const correct = new Float64Array(bins)
  let items = 0
  for (let i = 0; i < student.length; i++) {
    const r = referenceLabels[i]!
    if (r < 0) continue
    const b = binOf(confidence[i]!, bins)
    counts[b]!++
    confidenceSums[b]! += confidence[i]!
    if (student[i] === r) correct[b]!++
    items++
  }
  let ece = 0
  const reliability: Array<ReliabilityBin> = []
  for (let b = 0; b < bins; b++) {
    const count = counts[b]!
    const meanConfidence = count === 0 ? null : confidenceSums[b]! / count
    const accuracy = count === 0 ? null : correct[b]! / count
    if (count > 0) ece += (count / items) * Math.abs(accuracy! - meanConfidence!)
    reliability.push({ lower: b / bins, upper: (b + 1) / bins, count, meanConfidence, accuracy })
  }
  return { reference, items, ece, bins: reliability }
}
