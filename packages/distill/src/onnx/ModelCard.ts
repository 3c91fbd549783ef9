/**
 * What travels inside an exported classifier, as ONNX `metadata_props`:
 * the labels in output order, the featurizer config, the escalation
 * threshold chosen on validation, a reference confidence histogram (to
 * detect drift on the device) and a summary of its evaluation.
 */
import type { FeaturizerConfig } from "../features/FeaturizerConfig.js"

/** Bin i holds top probabilities from `edges[i]` to `edges[i + 1]`; `fractions` sum to 1. */
export interface ConfidenceReference {
  readonly edges: ReadonlyArray<number>
  readonly fractions: ReadonlyArray<number>
}

/** The format this package writes and reads: sparse hashed text features in, class probabilities out. */
export const FORMAT = "edgeline.sparse-text-classifier/1"

export interface ModelCard {
  readonly name: string
  readonly labels: ReadonlyArray<string>
  readonly featurizer: FeaturizerConfig
  /** Escalate when the top probability is below this (chosen on validation for a target). */
  readonly threshold?: number
  /** The student's confidences on validation: the reference a device compares its own with to notice drift. */
  readonly confidenceHistogram?: ConfidenceReference
  readonly parameters: number
  /** Headline figures of the evaluation (accuracy, agreement, ECE...). */
  readonly evaluation?: Readonly<Record<string, number | string>>
}

const KEYS = {
  format: "edgeline.format",
  name: "edgeline.name",
  labels: "edgeline.labels",
  featurizer: "edgeline.featurizer",
  threshold: "edgeline.threshold",
  confidenceHistogram: "edgeline.confidence_histogram",
  parameters: "edgeline.parameters",
  evaluation: "edgeline.evaluation",
} as const

export const toMetadata = (card: ModelCard): Array<{ key: string; value: string }> => {
  const entries: Array<[string, unknown]> = [
    [KEYS.format, FORMAT],
    [KEYS.name, card.name],
    [KEYS.labels, card.labels],
    [KEYS.featurizer, card.featurizer],
    [KEYS.parameters, card.parameters],
  ]
  if (card.threshold !== undefined) entries.push([KEYS.threshold, card.threshold])
  if (card.confidenceHistogram !== undefined)
    entries.push([KEYS.confidenceHistogram, card.confidenceHistogram])
  if (card.evaluation !== undefined) entries.push([KEYS.evaluation, card.evaluation])
  return entries.map(([key, value]) => ({
    key,
    value: typeof value === "string" ? value : JSON.stringify(value),
  }))
}

/** The card from metadata entries; the problem as a string when it is not one this build reads. */
export const fromMetadata = (
  entries: ReadonlyArray<{ key?: string | null; value?: string | null }>,
): ModelCard | string => {
  const map = new Map(entries.map((e) => [e.key ?? "", e.value ?? ""]))
  const format = map.get(KEYS.format)
  if (format !== FORMAT) {
    return format === undefined
      ? `the model has no "${KEYS.format}" metadata: it was not exported by @edgeline/distill`
      : `the model's format is "${format}"; this build reads "${FORMAT}"`
  }
  try {
    const json = (key: string) => {
      const value = map.get(key)
      return value === undefined ? undefined : JSON.parse(value)
    }
    const labels = json(KEYS.labels)
    const featurizer = json(KEYS.featurizer)
    if (
      !Array.isArray(labels) ||
      labels.length < 2 ||
      labels.some((l) => typeof l !== "string") ||
      new Set(labels).size !== labels.length
    ) {
      return `"${KEYS.labels}" must be a list of at least two different label names`
    }
    if (typeof featurizer !== "object" || featurizer === null)
      return `"${KEYS.featurizer}" must be a featurizer config`
    const threshold = json(KEYS.threshold)
    const confidenceHistogram = json(KEYS.confidenceHistogram)
    const evaluation = json(KEYS.evaluation)
    return {
      name: map.get(KEYS.name) ?? "",
      labels,
      featurizer,
      parameters: Number(json(KEYS.parameters) ?? 0),
      ...(typeof threshold === "number" ? { threshold } : {}),
      ...(typeof confidenceHistogram === "object" && confidenceHistogram !== null
        ? { confidenceHistogram }
        : {}),
      ...(typeof evaluation === "object" && evaluation !== null ? { evaluation } : {}),
    }
  } catch (e) {
    return `the model's metadata is not valid JSON: ${e instanceof Error ? e.message : String(e)}`
  }
}
