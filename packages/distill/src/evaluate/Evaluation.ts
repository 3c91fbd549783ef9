/**
 * How good a distilled student is, from plain arrays of probabilities: its
 * accuracy against the ground truth, its agreement with the teacher, its
 * calibration, and what a student → teacher cascade achieves at each
 * confidence threshold. `evaluate` is pure and deterministic; its report is
 * plain JSON, which `Report` renders as a page.
 *
 * @example
 * ```ts
 * import { Evaluation } from "@edgeline/distill"
 *
 * const report = Evaluation.evaluate({
 *   labels: ["ham", "spam"],
 *   items: [
 *     { truth: "spam", teacher: [0.02, 0.98], student: [0.1, 0.9] },
 *     { truth: "ham", teacher: [0.9, 0.1], student: [0.45, 0.55] },
 *   ],
 * })
 * report.agreement // 0.5
 * report.escalation?.chosen.threshold // escalate below this confidence
 * ```
 */
import { Effect } from "effect"
import { type Calibration, calibration } from "./calibration.js"
import { type Confusion, confusion } from "./confusion.js"
import { EvaluationInputError } from "./EvaluationInputError.js"
import { type Escalation, escalation, type TargetInput } from "./escalation.js"
import { type ConfidenceHistogram, confidenceHistogram } from "./histogram.js"
import { prepare } from "./prepare.js"

export type { Calibration, ReliabilityBin } from "./calibration.js"
export type { Confusion, PositiveClass } from "./confusion.js"
export type {
  ChosenThreshold,
  Escalation,
  EscalationPoint,
  Target,
  TargetInput,
} from "./escalation.js"
export { DEFAULT_MARGIN, MAX_CURVE_POINTS } from "./escalation.js"
export type { ConfidenceHistogram } from "./histogram.js"
export { HISTOGRAM_BINS } from "./histogram.js"
export { SUM_TOLERANCE } from "./prepare.js"

/** One evaluated item: probabilities are per label, in the order of `Input.labels`. */
export interface Item {
  /** The ground-truth label, when known. */
  readonly truth?: string | undefined
  /** The teacher's probabilities: on every item or on none. */
  readonly teacher?: ArrayLike<number> | undefined
  /**
   * The teacher's probabilities for the item as the cascade escalates it,
   * when the cascade sends something else than the item (a condensed
   * message): the escalation curve, and so the threshold, score escalated
   * items by these. On every item or on none (then `teacher`); they need
   * `teacher`, which the rest of the report (and the default target) reads.
   */
  readonly escalated?: ArrayLike<number> | undefined
  readonly student: ArrayLike<number>
}

export interface Input {
  /** The classes, in the order of every probability vector. At least two, distinct. */
  readonly labels: ReadonlyArray<string>
  /** The class precision, recall and F1 are reported for. Default: the second of two labels. */
  readonly positive?: string | undefined
  readonly items: ReadonlyArray<Item>
  /**
   * What the escalation threshold is chosen for (needs the teacher). Default:
   * a cascade accuracy of the teacher's own accuracy less 0.5 percentage points.
   */
  readonly target?: TargetInput | undefined
  /** Calibration bins, equal width on [0, 1]. Default 15. */
  readonly bins?: number | undefined
}

/** The format tag of an `EvaluationReport`; changes when a field changes meaning. */
export const FORMAT = "edgeline.distill.evaluation/1"

/**
 * Everything `evaluate` measured. Plain JSON: numbers, strings, arrays,
 * null where a value cannot exist (no truth, no teacher, an empty bin).
 * Shares and accuracies are fractions from 0 to 1.
 */
export interface EvaluationReport {
  readonly format: typeof FORMAT
  readonly labels: ReadonlyArray<string>
  /** The positive class; null for more than two labels with none named. */
  readonly positive: string | null
  readonly counts: {
    readonly items: number
    /** Items with a ground-truth label: the accuracies are over these. */
    readonly withTruth: number
    /** Items with teacher probabilities: all of them or none. */
    readonly withTeacher: number
  }
  readonly student: {
    /** Against the truth; null when no item has truth. */
    readonly accuracy: number | null
    /** The mean of the student's largest probability. */
    readonly meanConfidence: number
  }
  /** Null when no item has teacher probabilities. */
  readonly teacher: {
    /** Against the truth; null when no item has truth. */
    readonly accuracy: number | null
  } | null
  /** The share of items on which the student's label is the teacher's; null without a teacher. */
  readonly agreement: number | null
  readonly confusion: {
    /** The student against the truth; null when no item has truth. */
    readonly truth: Confusion | null
    /** The student against the teacher; null without a teacher. */
    readonly teacher: Confusion | null
  }
  /** Against the truth, else against the teacher; null when there is neither. */
  readonly calibration: Calibration | null
  /** The drift reference that travels with the model. */
  readonly confidenceHistogram: ConfidenceHistogram
  /** Null without a teacher: there is nothing to escalate to. */
  readonly escalation: Escalation | null
}

const agreementOf = (a: Int32Array, b: Int32Array): number => {
  let same = 0
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++
  return same / a.length
}

const accuracyOf = (predicted: Int32Array, truth: Int32Array, withTruth: number): number | null => {
  if (withTruth === 0) return null
  let right = 0
  for (let i = 0; i < truth.length; i++) if (truth[i]! >= 0 && predicted[i] === truth[i]) right++
  return right / withTruth
}

/**
 * Evaluates a student (and its teacher, when given) on labelled items.
 * Throws `EvaluationInputError` for input it cannot evaluate: no items,
 * probabilities of the wrong length or that are not a distribution
 * (NaN, negative, not summing to 1 within `SUM_TOLERANCE`), a truth that is
 * not a label, teacher probabilities on only some items, a target without a
 * teacher. A tie between probabilities goes to the first label.
 */
export const evaluate = (input: Input): EvaluationReport => {
  const prepared = prepare(input)
  const { labels, positive, size, student, confidence, truth, withTruth, teacher, escalated } =
    prepared
  if (input.target !== undefined && teacher === undefined) {
    throw new EvaluationInputError({
      message:
        "a target was given but no item has teacher probabilities: there is nothing to escalate to",
      item: undefined,
    })
  }
  const reference = withTruth > 0 ? truth : teacher
  return {
    format: FORMAT,
    labels: [...labels],
    positive: positive < 0 ? null : labels[positive]!,
    counts: { items: size, withTruth, withTeacher: teacher === undefined ? 0 : size },
    student: {
      accuracy: accuracyOf(student, truth, withTruth),
      meanConfidence: confidence.reduce((a, b) => a + b, 0) / size,
    },
    teacher: teacher === undefined ? null : { accuracy: accuracyOf(teacher, truth, withTruth) },
    agreement: teacher === undefined ? null : agreementOf(student, teacher),
    confusion: {
      truth: withTruth === 0 ? null : confusion(labels, positive, "truth", truth, student),
      teacher:
        teacher === undefined ? null : confusion(labels, positive, "teacher", teacher, student),
    },
    calibration:
      reference === undefined
        ? null
        : calibration(
            withTruth > 0 ? "truth" : "teacher",
            reference,
            student,
            confidence,
            prepared.bins,
          ),
    confidenceHistogram: confidenceHistogram(confidence, labels.length),
    escalation:
      teacher === undefined
        ? null
        : escalation({
            student,
            confidence,
            teacher,
            escalated,
            truth,
            withTruth,
            target: input.target,
          }),
  }
}

/** `evaluate` as an Effect: bad input fails with `EvaluationInputError`; anything else thrown is a defect. */
export const evaluateEffect = (
  input: Input,
): Effect.Effect<EvaluationReport, EvaluationInputError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(evaluate(input))
    } catch (error) {
      if (error instanceof EvaluationInputError) return Effect.fail(error)
      throw error
    }
  })
