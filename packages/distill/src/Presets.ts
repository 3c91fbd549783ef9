/**
 * The message-triage models Edgeline ships, as settings: the on-device
 * student, and the reference teacher behind the cloud tier. `npm run
 * distill` trains both from these, and the CLI's `distill train` starts
 * from the student's.
 */
import type { FeaturizerConfig } from "./features/FeaturizerConfig.js"
import { defaults } from "./features/FeaturizerConfig.js"
import type { Options } from "./student/Student.js"

export interface Preset extends Omit<Options, "labels" | "onProgress"> {
  readonly name: string
  readonly featurizer: FeaturizerConfig
}

/**
 * The student: logistic regression over 2^14 hashed word, word-pair and
 * character 3–4-gram buckets of a message's head. Small enough to ship
 * (≈ 130 KB) and featurize + infer well under a millisecond; trained on
 * the teacher's soft labels at temperature 2.
 */
export const triageStudent: Preset = {
  name: "message-triage-student",
  featurizer: defaults,
  hidden: 0,
  epochs: 10,
  batchSize: 32,
  learningRate: 0.01,
  temperature: 2,
  classWeights: "balanced",
  seed: 1,
}

/**
 * The reference teacher, trained on ground truth: an MLP over 2^16 buckets
 * of the whole message (up to 20 000 characters, more header fields, longer
 * n-grams). Sixteen times the student's parameters. It stands in for the
 * large cloud model (an LLM in production) so the loop runs offline.
 */
export const triageTeacher: Preset = {
  name: "message-triage-teacher",
  featurizer: {
    ...defaults,
    buckets: 1 << 16,
    charNgrams: [3, 5],
    maxChars: 20_000,
    headers: [
      "subject",
      "from",
      "to",
      "reply-to",
      "content-type",
      "x-mailer",
      "message-id",
      "received",
      "return-path",
      "mime-version",
      "x-priority",
      "list-id",
      "precedence",
    ],
  },
  hidden: 8,
  epochs: 10,
  batchSize: 32,
  learningRate: 0.01,
  temperature: 1,
  classWeights: "balanced",
  seed: 1,
}
