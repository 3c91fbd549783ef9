/**
 * What the trainer asks the cloud before round 1, as `npm run distill`
 * does: soft labels (from `top_logprobs`) for the seed slice, and for every
 * validation message twice, as written and as the cascade sends it
 * (`TextCondense`, the cascade's default budget): a threshold is chosen for
 * what the cloud is actually sent. Answers are cached by content hash in a
 * JSONL file (`LabelJob`), so nothing is asked twice.
 */
import type { Distillation, SpamAssassin, Student } from "@edgeline/distill"
import { LabelJob, OpenAiTeacher } from "@edgeline/distill"
import { TextCondense } from "@edgeline/recipes"
import { Effect } from "effect"
import type { CloudTier } from "./CloudTier.js"
import { FlywheelError } from "./FlywheelError.js"

export interface Labelled {
  /** The seed slice with the teacher's soft labels: student v0's training set. */
  readonly seed: ReadonlyArray<Student.LabelledText>
  /** Validation with the truth and the teacher's answers, raw and as sent. */
  readonly validation: ReadonlyArray<Distillation.ValidationItem>
  /** Prompt tokens the labelling cost. */
  readonly promptTokens: number
}

export const label = async (options: {
  readonly cloud: CloudTier
  readonly seed: ReadonlyArray<SpamAssassin.Message>
  readonly validation: ReadonlyArray<SpamAssassin.Message>
  /** The labelling cache (a JSONL file). */
  readonly cache: string
  readonly onProgress: (message: string) => void
}): Promise<Labelled> => {
  const { cloud, seed, validation } = options
  options.onProgress(
    `condensing ${validation.length} validation messages as the cascade sends them`,
  )
  const condensed = new Map<string, string>()
  for (const m of validation) {
    condensed.set(m.id, (await Effect.runPromise(TextCondense.condense(m.text))).text)
  }
  const teacher = OpenAiTeacher.make({
    baseUrl: cloud.baseUrl,
    apiKey: cloud.apiKey,
    model: cloud.model,
    labels: cloud.labels,
  })
  const items = [
    ...[...seed, ...validation].map((m) => ({ id: m.id, text: m.text })),
    ...validation.map((m) => ({ id: `${m.id}#condensed`, text: condensed.get(m.id)! })),
  ]
  options.onProgress(`the cloud teacher labels ${items.length} messages (seed and validation)`)
  const summary = await LabelJob.runPromise({
    teacher,
    items,
    cache: options.cache,
    concurrency: 4,
  })
  const failed = summary.failed[0]
  if (failed !== undefined) {
    throw new FlywheelError(
      `the cloud teacher could not label ${summary.failed.length} of ${items.length} messages (${failed.id}: ${failed.error.message}); run again`,
    )
  }
  const answers = await LabelJob.load(options.cache, teacher)
  const soft = (text: string): ReadonlyArray<number> =>
    answers.get(LabelJob.keyOf(teacher, text))!.probabilities
  return {
    seed: seed.map((m) => ({ text: m.text, target: soft(m.text) })),
    validation: validation.map((m) => ({
      text: m.text,
      truth: m.label,
      teacher: soft(m.text),
      escalated: soft(condensed.get(m.id)!),
    })),
    promptTokens: summary.promptTokens,
  }
}
