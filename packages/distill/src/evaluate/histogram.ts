/**
 * The student's confidence histogram: the reference a deployed model's
 * confidences are compared with to notice drift. It spans 1 / labels (the
 * least a largest probability can be) to 1, so all of its bins can fill.
 */

/** Bins of the histogram; a drift monitor must bin the same way. */
export const HISTOGRAM_BINS = 20

export interface ConfidenceHistogram {
  /** `HISTOGRAM_BINS + 1` edges: bin i holds confidences from `edges[i]` (inclusive) to `edges[i + 1]` (exclusive; the last bin includes 1). */
  readonly edges: ReadonlyArray<number>
  readonly counts: ReadonlyArray<number>
  /** `counts` divided by `items`: they sum to 1. */
  readonly fractions: ReadonlyArray<number>
  readonly items: number
}

export const confidenceHistogram = (
  confidence: Float64Array,
  labelCount: number,
): ConfidenceHistogram => {
  const lower = 1 / labelCount
  const width = (1 - lower) / HISTOGRAM_BINS
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) =>
    i === HISTOGRAM_BINS ? 1 : lower + i * width,
  )
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0)
  for (const c of confidence) {
    // Compared with the edges themselves, so a drift monitor given only the
    // edges bins alike. Probabilities may sum to a little more than 1, so a
    // confidence may sit just below the first edge: it counts in bin 0.
    let bin = 0
    while (bin < HISTOGRAM_BINS - 1 && c >= edges[bin + 1]!) bin++
    counts[bin]!++
  }
  const items = confidence.length
  return { edges, counts, fractions: counts.map((count) => count / items), items }
}
