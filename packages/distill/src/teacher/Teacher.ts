/**
 * The spec a teacher implements: give each text a soft label, a probability
 * for each of a fixed list of labels. A big cloud model (`OpenAiTeacher`)
 * and a local ONNX classifier (`OnnxTeacher`) are teachers; so is anything
 * built with `make` from an async function. Version `v1`.
 *
 * `id` is part of the labelling cache's key: two teachers with the same id
 * and labels are taken to give the same answers, so an id changes whenever
 * what decides the answers does (model, prompt, temperature).
 *
 * @example
 * ```ts
 * import { Teacher } from "@edgeline/distill"
 * const keywords = Teacher.make({
 *   id: "keywords-v1",
 *   labels: ["ham", "spam"],
 *   label: async (text) => ({
 *     probabilities: /viagra|winner/i.test(text) ? [0.1, 0.9] : [0.9, 0.1],
 *     source: "model",
 *     usage: Teacher.noUsage,
 *   }),
 * })
 * const answer = await Teacher.labelPromise(keywords, "You are a WINNER")
 * Teacher.topLabel(keywords, answer) // "spam"
 * ```
 */
import { Effect } from "effect"
import {
  isTeacherError,
  TeacherAnswerError,
  type TeacherError,
  TeacherOptionsError,
  TeacherRequestError,
} from "./TeacherErrors.js"
import { type Pricing, type Usage, zero } from "./Usage.js"

export { isRetryable, type TeacherError } from "./TeacherErrors.js"
export type { Pricing, Usage } from "./Usage.js"
export { costUsd } from "./Usage.js"

/** The version of this spec a teacher implements. */
export const specificationVersion = "v1"
export type SpecificationVersion = typeof specificationVersion

/**
 * Where the probabilities came from: the model's own token probabilities
 * (`logprobs`), its stated answer and confidence (`json`), or a classifier's
 * output (`model`).
 */
export type Source = "logprobs" | "json" | "model"

export interface Answer {
  /** One per label, in the teacher's label order; each in [0, 1], summing to 1. */
  readonly probabilities: ReadonlyArray<number>
  readonly source: Source
  readonly usage: Usage
}

export interface Teacher {
  readonly specificationVersion: SpecificationVersion
  /** Stable across runs: part of the labelling cache's key. */
  readonly id: string
  readonly labels: ReadonlyArray<string>
  /** What its tokens cost, for a job's cost count; none for a local teacher. */
  readonly pricing?: Pricing | undefined
  readonly label: (text: string) => Effect.Effect<Answer, TeacherError>
}

/** An answer that cost no tokens (a local model). */
export const noUsage: Usage = zero

/** How far from 1 a sum of probabilities may be (float32 outputs, rounding). */
const SUM_TOLERANCE = 1e-3

/** Checks a label list: at least two, distinct, non-empty. Throws `TeacherOptionsError`. */
export const checkLabels = (labels: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (!Array.isArray(labels) || labels.length < 2) {
    throw new TeacherOptionsError({
      message: `a teacher needs at least two labels, got ${JSON.stringify(labels)}`,
    })
  }
  const seen = new Set<string>()
  for (const label of labels) {
    if (typeof label !== "string" || label.trim() === "") {
      throw new TeacherOptionsError({
        message: `labels must be non-empty strings, got ${JSON.stringify(label)} in ${JSON.stringify(labels)}`,
      })
    }
    if (seen.has(label)) {
      throw new TeacherOptionsError({
        message: `label "${label}" appears twice in ${JSON.stringify(labels)}`,
      })
    }
    seen.add(label)
  }
  return Object.freeze([...labels])
}

/** `usage` when it is two non-negative counts, else `undefined`. */
const validUsage = (usage: Usage | undefined): Usage | undefined =>
  Number.isFinite(usage?.promptTokens) &&
  Number.isFinite(usage?.completionTokens) &&
  (usage as Usage).promptTokens >= 0 &&
  (usage as Usage).completionTokens >= 0
    ? usage
    : undefined

/**
 * Why `answer` is not a valid answer for `labels`, or `undefined` when it is:
 * one finite probability in [0, 1] per label, summing to 1.
 */
const answerProblem = (labels: ReadonlyArray<string>, answer: Answer): string | undefined => {
  const p = answer?.probabilities
  if (!Array.isArray(p) && !ArrayBuffer.isView(p)) return "it has no probabilities"
  if (p.length !== labels.length) {
    return `it has ${p.length} probabilities for ${labels.length} labels (${labels.join(", ")})`
  }
  let sum = 0
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1 + SUM_TOLERANCE) {
      return `its probability for "${labels[i]}" is ${v}, not a number in [0, 1]`
    }
    sum += v
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) return `its probabilities sum to ${sum}, not 1`
  if (validUsage(answer.usage) === undefined) {
    return `its usage ${JSON.stringify(answer.usage)} is not { promptTokens, completionTokens } counts`
  }
  if (answer.source !== "logprobs" && answer.source !== "json" && answer.source !== "model") {
    return `its source ${JSON.stringify(answer.source)} is not "logprobs", "json" or "model"`
  }
  return undefined
}

/**
 * Within the tolerance, probabilities are clamped to [0, 1] and rescaled to
 * sum to 1 (to rounding), so what the cache keeps is a distribution a
 * trainer takes as is.
 */
const normalised = (answer: Answer): Answer => {
  const clamped = Array.from(answer.probabilities, (p) => Math.min(1, Math.max(0, p)))
  const sum = clamped.reduce((a, b) => a + b, 0)
  return { ...answer, probabilities: clamped.map((p) => p / sum) }
}

/** `answer`, normalised, when it is valid for the teacher's labels, else a `TeacherAnswerError` saying why. */
export const checkAnswer = (
  teacher: Pick<Teacher, "id" | "labels">,
  answer: Answer,
): Effect.Effect<Answer, TeacherAnswerError> => {
  const problem = answerProblem(teacher.labels, answer)
  if (problem === undefined) return Effect.succeed(normalised(answer))
  let shown: string
  try {
    shown = JSON.stringify(answer) ?? String(answer)
  } catch {
    shown = String(answer)
  }
  return Effect.fail(
    new TeacherAnswerError({
      message: `teacher ${teacher.id} gave an answer that is not a soft label: ${problem}`,
      answer: shown.slice(0, 300),
      // Tokens spent on a bad answer are still spent.
      usage: validUsage(answer?.usage),
    }),
  )
}

/** The label with the highest probability (the first of equals). */
export const topLabel = (
  teacher: Pick<Teacher, "labels">,
  answer: Pick<Answer, "probabilities">,
): string => {
  let best = 0
  for (let i = 1; i < answer.probabilities.length; i++) {
    if ((answer.probabilities[i] as number) > (answer.probabilities[best] as number)) best = i
  }
  return teacher.labels[best] as string
}

export interface MakeOptions {
  readonly id: string
  readonly labels: ReadonlyArray<string>
  readonly pricing?: Pricing | undefined
  /**
   * Labels one text. Reject with a `TeacherRequestError`, `TeacherAnswerError`
   * or `TeacherRejectedError` to say what kind of failure it was; anything
   * else thrown counts as a request failure (retried). `signal` aborts when
   * the caller stops waiting.
   */
  readonly label: (
    text: string,
    options: { readonly signal: AbortSignal },
  ) => Promise<Answer> | Answer
}

/** A teacher from an async function; its answers are checked against the labels. */
export const make = (options: MakeOptions): Teacher => {
  if (typeof options?.id !== "string" || options.id === "") {
    throw new TeacherOptionsError({ message: `a teacher needs a non-empty string id` })
  }
  const labels = checkLabels(options.labels)
  const teacher: Teacher = {
    specificationVersion,
    id: options.id,
    labels,
    pricing: options.pricing,
    label: (text) =>
      Effect.tryPromise({
        try: async (signal) => options.label(text, { signal }),
        catch: (e): TeacherError =>
          isTeacherError(e)
            ? e
            : new TeacherRequestError({
                message: `teacher ${options.id} failed: ${e instanceof Error ? e.message : String(e)}`,
                status: undefined,
                retryAfterMs: undefined,
              }),
      }).pipe(Effect.flatMap((answer) => checkAnswer(teacher, answer))),
  }
  return teacher
}

/** `teacher.label(text)` as a Promise, rejecting with the teacher's tagged error. */
export const labelPromise = (
  teacher: Teacher,
  text: string,
  options?: { readonly signal?: AbortSignal | undefined },
): Promise<Answer> =>
  Effect.runPromise(
    teacher.label(text),
    options?.signal === undefined ? undefined : { signal: options.signal },
  )
