/**
 * The escalation curve of a student → teacher cascade: escalate an item when
 * the student's confidence is below a threshold, and take the teacher's
 * label for it (its label for the item as the cascade sends it, when that
 * is given: a condensed message, say). Every distinct threshold is scored (one sort, prefix sums);
 * the threshold for a target is chosen on that full curve, and the curve
 * kept in the report is a sample of it.
 */
import { EvaluationInputError } from "./EvaluationInputError.js"

/** The most points kept of the curve: enough to draw it, small enough for a model's metadata. */
export const MAX_CURVE_POINTS = 200

/** The default target's margin below the teacher's own accuracy (0.5 percentage points). */
export const DEFAULT_MARGIN = 0.005

/** Slack in comparisons with a target, so 0.95 is reached by 19 of 20 however the sum rounds. */
const EPSILON = 1e-12

export interface EscalationPoint {
  /** Escalate when the student's confidence is below this. */
  readonly threshold: number
  /** The share of items escalated. */
  readonly escalated: number
  /** The cascade's accuracy against the truth, over the items that have it; null when none has. */
  readonly accuracy: number | null
  /** The share of items on which the cascade agrees with the teacher. */
  readonly agreement: number
}

/** The target given to `evaluate`. */
export type TargetInput =
  | { readonly cascadeAccuracy: number; readonly maxEscalated?: undefined }
  | { readonly maxEscalated: number; readonly cascadeAccuracy?: undefined }

/** The target a threshold was chosen for, as the report states it. */
export interface Target {
  /** Reach a cascade accuracy with the fewest escalations, or do best within an escalation budget. */
  readonly kind: "cascadeAccuracy" | "maxEscalated"
  readonly value: number
  /** What the cascade is scored by: accuracy against the truth, or agreement with the teacher when no item has truth. */
  readonly metric: "accuracy" | "agreement"
  /** True when no target was given and the default was used. */
  readonly defaulted: boolean
  /** The target in words, as a reader of the report should see it. */
  readonly description: string
}

export interface ChosenThreshold extends EscalationPoint {
  readonly target: Target
  /** False when no threshold reaches a `cascadeAccuracy` target: the one scoring best is chosen instead. */
  readonly reached: boolean
}

export interface Escalation {
  /** Distinct thresholds on the full curve (distinct confidences + 1). */
  readonly thresholds: number
  /** At most `MAX_CURVE_POINTS` of them, by escalated share ascending, both ends and the chosen one included. */
  readonly curve: ReadonlyArray<EscalationPoint>
  readonly chosen: ChosenThreshold
}

const percent = (x: number): string => `${(x * 100).toFixed(2)}%`

const fail = (message: string): never => {
  throw new EvaluationInputError({ message, item: undefined })
}

const checkTarget = (target: TargetInput): { kind: Target["kind"]; value: number } => {
  if (target === null || typeof target !== "object") {
    return fail("target must be { cascadeAccuracy } or { maxEscalated }")
  }
  const accuracy = target.cascadeAccuracy !== undefined
  const escalated = target.maxEscalated !== undefined
  if (accuracy === escalated) {
    fail("target must have exactly one of cascadeAccuracy and maxEscalated")
  }
  const kind = accuracy ? "cascadeAccuracy" : "maxEscalated"
  const value = accuracy ? target.cascadeAccuracy! : target.maxEscalated!
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    fail(`target.${kind} must be a share from 0 to 1, got ${value}`)
  }
  return { kind, value }
}

const resolveTarget = (
  target: TargetInput | undefined,
  metric: Target["metric"],
  teacherAccuracy: number,
): Target => {
  const scored = metric === "accuracy" ? "cascade accuracy" : "cascade agreement with the teacher"
  if (target === undefined) {
    const value = Math.max(0, teacherAccuracy - DEFAULT_MARGIN)
    const teacher =
      metric === "accuracy"
        ? `the teacher's own accuracy (${percent(teacherAccuracy)})`
        : "full agreement (there is no ground truth)"
    return {
      kind: "cascadeAccuracy",
      value,
      metric,
      defaulted: true,
      description: `${scored} ≥ ${percent(value)}: ${teacher} less 0.5 percentage points (the default target)`,
    }
  }
  const { kind, value } = checkTarget(target)
  const description =
    kind === "cascadeAccuracy"
      ? `${scored} ≥ ${percent(value)} (given)`
      : `the best ${scored} with at most ${percent(value)} escalated (given)`
  return { kind, value, metric, defaulted: false, description }
}

/** The points kept: the first at or past each step of a grid over the escalated share, and the chosen one. */
const sample = (
  points: ReadonlyArray<EscalationPoint>,
  keep: number,
): ReadonlyArray<EscalationPoint> => {
  if (points.length <= MAX_CURVE_POINTS) return points
  const steps = MAX_CURVE_POINTS - 2 // one slot is kept for the chosen point
  const kept = new Set<number>([keep])
  let p = 0
  for (let j = 0; j <= steps; j++) {
    const share = j / steps
    while (p < points.length - 1 && points[p]!.escalated < share) p++
    kept.add(p)
  }
  return [...kept].sort((a, b) => a - b).map((i) => points[i]!)
}

export interface CascadeInput {
  readonly student: Int32Array
  readonly confidence: Float64Array
  readonly teacher: Int32Array
  /** The teacher's label for each item as escalated (default `teacher`). */
  readonly escalated?: Int32Array | undefined
  readonly truth: Int32Array
  readonly withTruth: number
  readonly target: TargetInput | undefined
}

export const escalation = (input: CascadeInput): Escalation => {
  const { student, confidence, teacher, truth, withTruth } = input
  const escalated = input.escalated ?? teacher
  const size = student.length
  const order = new Uint32Array(size).map((_, i) => i)
  order.sort((a, b) => confidence[a]! - confidence[b]! || a - b)

  // Over the items in order of confidence, the first k escalated: how many of
  // those the teacher gets right (as escalated) and labels as it does the
  // item itself, and how many of the rest the student gets right or labels
  // as the teacher does.
  const teacherRight = new Float64Array(size + 1)
  const teacherAgrees = new Float64Array(size + 1)
  const studentRight = new Float64Array(size + 1)
  const studentAgrees = new Float64Array(size + 1)
  for (let k = 0; k < size; k++) {
    const i = order[k]!
    const t = truth[i]!
    teacherRight[k + 1] = teacherRight[k]! + (t >= 0 && escalated[i] === t ? 1 : 0)
    teacherAgrees[k + 1] = teacherAgrees[k]! + (escalated[i] === teacher[i] ? 1 : 0)
    studentRight[k + 1] = studentRight[k]! + (t >= 0 && student[i] === t ? 1 : 0)
    studentAgrees[k + 1] = studentAgrees[k]! + (student[i] === teacher[i] ? 1 : 0)
  }
  const point = (threshold: number, k: number): EscalationPoint => ({
    threshold,
    escalated: k / size,
    accuracy:
      withTruth === 0
        ? null
        : (teacherRight[k]! + studentRight[size]! - studentRight[k]!) / withTruth,
    agreement: (teacherAgrees[k]! + studentAgrees[size]! - studentAgrees[k]!) / size,
  })

  // A threshold escalates what lies below it. Between two neighbouring
  // confidences it sits midway, not on the next one: an input on the device
  // a hair under a validation item's confidence is treated as that item was.
  const between = (low: number, high: number) => {
    const middle = low + (high - low) / 2
    return middle > low ? middle : high
  }
  const points: Array<EscalationPoint> = [point(confidence[order[0]!]!, 0)]
  for (let k = 1; k < size; k++) {
    const c = confidence[order[k]!]!
    const previous = confidence[order[k - 1]!]!
    if (c !== previous) points.push(point(between(previous, c), k))
  }
  // Escalating everything needs a threshold above every confidence; 1 is the
  // plainest unless some confidence is 1 itself.
  const highest = confidence[order[size - 1]!]!
  points.push(point(highest < 1 ? 1 : 1 + Number.EPSILON, size))

  const metric: Target["metric"] = withTruth === 0 ? "agreement" : "accuracy"
  const score = (p: EscalationPoint): number => (metric === "accuracy" ? p.accuracy! : p.agreement)
  // The default target is the teacher's accuracy on the items themselves, not as escalated.
  let teacherOwnRight = 0
  for (let i = 0; i < size; i++) if (truth[i]! >= 0 && teacher[i] === truth[i]) teacherOwnRight++
  const teacherScore = withTruth === 0 ? 1 : teacherOwnRight / withTruth
  const target = resolveTarget(input.target, metric, teacherScore)

  let chosen = -1
  let reached = true
  if (target.kind === "cascadeAccuracy") {
    chosen = points.findIndex((p) => score(p) >= target.value - EPSILON)
  }
  if (chosen < 0) {
    reached = target.kind === "maxEscalated"
    chosen = 0
    for (let j = 1; j < points.length; j++) {
      const p = points[j]!
      if (target.kind === "maxEscalated" && p.escalated > target.value + EPSILON) break
      if (score(p) > score(points[chosen]!)) chosen = j
    }
  }
  return {
    thresholds: points.length,
    curve: sample(points, chosen),
    chosen: { ...points[chosen]!, target, reached },
  }
}
