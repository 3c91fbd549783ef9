/**
 * The trainer, on the cloud side: what the seed slice's soft labels and the
 * fleet's labelled escalations teach, distilled into the next on-device
 * student (`@edgeline/distill`, the shipped student's preset and seed). Its
 * escalation threshold is chosen on validation as `npm run distill` does,
 * scoring an escalated message by the teacher's answer to what the cascade
 * sends (the condensed text), for a cascade-accuracy target (see
 * `defaultTarget`). The model file goes to `models/<version>/`.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Distillation, type ModelCard, Presets, type Student } from "@edgeline/distill"
import type * as EscalationSample from "./EscalationSample.js"

/** The default target's margin below the teacher's accuracy on what it is sent (1 percentage point). */
export const DEFAULT_MARGIN = 0.01

export interface Version {
  readonly version: string
  /** The ONNX file. */
  readonly file: string
  readonly card: ModelCard.ModelCard
  readonly threshold: number
  /** Training examples: the seed slice's, then the escalations'. */
  readonly examples: number
  readonly escalations: number
  /** On validation: the share the chosen threshold escalates, and the cascade's accuracy there. */
  readonly validationEscalated: number
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const argmax = (p: ArrayLike<number>) => {
  let best = 0
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i
  return best
}

/**
 * The teacher's accuracy on validation messages as the cascade sends them,
 * less `DEFAULT_MARGIN`. distill's own default (its accuracy on the whole
 * message, less 0.5 points) is above what any cascade reaches when the
 * cloud reads condensed text, so a threshold was then the best-scoring one
 * rather than the cheapest reaching a target, and it jumped from version
 * to version; this target is reachable (escalating everything reaches it)
 * and each better student reaches it with fewer escalations.
 */
export const defaultTarget = (
  labels: ReadonlyArray<string>,
  validation: ReadonlyArray<Distillation.ValidationItem>,
): number => {
  const right = validation.filter(
    (item) => labels[argmax(item.escalated ?? item.teacher!)] === item.truth,
  ).length
  return Math.max(0, right / validation.length - DEFAULT_MARGIN)
}

export const make = (options: {
  readonly labels: ReadonlyArray<string>
  readonly seed: ReadonlyArray<Student.LabelledText>
  readonly validation: ReadonlyArray<Distillation.ValidationItem>
  /** The cascade accuracy on validation a threshold must reach. */
  readonly target: number
  /** Where `models/<version>/` go. */
  readonly directory: string
}) => {
  const oneHot = (label: string) => options.labels.map((l) => (l === label ? 1 : 0))
  const train = async (
    version: string,
    escalations: ReadonlyArray<EscalationSample.Payload>,
  ): Promise<Version> => {
    // In a canonical order: the fleet's uploads arrive in any order, and the student must not depend on it.
    const learned = [...escalations].sort(
      (a, b) => compare(a.text, b.text) || compare(a.label, b.label),
    )
    const examples = [
      ...options.seed,
      ...learned.map((e) => ({ text: e.text, target: oneHot(e.label) })),
    ]
    const distilled = await Distillation.distillPromise({
      labels: options.labels,
      preset: Presets.triageStudent,
      train: examples,
      validation: options.validation,
      target: { cascadeAccuracy: options.target },
    })
    const dir = join(options.directory, version)
    const file = join(dir, "model.onnx")
    await mkdir(dir, { recursive: true })
    await writeFile(file, distilled.model)
    await writeFile(join(dir, "card.json"), `${JSON.stringify(distilled.card, null, 2)}\n`)
    return {
      version,
      file,
      card: distilled.card,
      threshold: distilled.card.threshold!,
      examples: examples.length,
      escalations: escalations.length,
      validationEscalated: distilled.evaluation.escalation!.chosen.escalated,
    }
  }
  return { train }
}

/** What devices need to know of a version, for the manifest: the threshold above all. */
export const metadataOf = (version: Version) => ({
  threshold: version.threshold,
  labels: [...version.card.labels],
  // A running pipeline featurizes as its first version did: a device refuses a version that reads text otherwise.
  featurizer: JSON.parse(JSON.stringify(version.card.featurizer)) as Record<string, never>,
  ...(version.card.confidenceHistogram === undefined
    ? {}
    : {
        confidenceHistogram: {
          edges: [...version.card.confidenceHistogram.edges],
          fractions: [...version.card.confidenceHistogram.fractions],
        },
      }),
  trainingExamples: version.examples,
  escalationsLearned: version.escalations,
})
