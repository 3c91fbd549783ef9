/**
 * What can go wrong when a teacher labels a text, as tagged `Error`s: Promise
 * users `switch (e._tag)`, Effect users `catchTag`. The kind decides what a
 * labelling job does next: retry a request failure (after `retryAfterMs`
 * when the server said so), retry a malformed answer but count it apart, and
 * give up at once on a rejection, which asking again cannot fix.
 */
import { Data } from "effect"
import type { Usage } from "./Usage.js"

/** The request did not get an answer: network, timeout, 5xx, 429. Worth retrying. */
export class TeacherRequestError extends Data.TaggedError("TeacherRequestError")<{
  readonly message: string
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined
  /** How long the server asked us to wait (`Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined
}> {}

/**
 * The teacher answered, but not with a usable label: not JSON, a label not
 * among the labels, probabilities that do not sum to 1. Worth retrying (a
 * sampled model may answer well next time); the tokens it cost still count.
 */
export class TeacherAnswerError extends Data.TaggedError("TeacherAnswerError")<{
  readonly message: string
  /** What the teacher said, cut to a few hundred characters. */
  readonly answer: string
  /** The tokens the answer cost, when the server reported them. */
  readonly usage: Usage | undefined
}> {}

/** The server refused the request itself (400, 401, 403, 404…): asking again cannot help. */
export class TeacherRejectedError extends Data.TaggedError("TeacherRejectedError")<{
  readonly message: string
  readonly status: number | undefined
}> {}

/** A teacher's options are wrong (no labels, duplicates, a URL that is not http(s)). Thrown by `make`. */
export class TeacherOptionsError extends Data.TaggedError("TeacherOptionsError")<{
  readonly message: string
}> {}

/** Every way `label` can fail. */
export type TeacherError = TeacherRequestError | TeacherAnswerError | TeacherRejectedError

const tags = new Set(["TeacherRequestError", "TeacherAnswerError", "TeacherRejectedError"])

export const isTeacherError = (u: unknown): u is TeacherError =>
  u instanceof Error && tags.has((u as { _tag?: unknown })._tag as string)

/** Whether asking again may succeed. */
export const isRetryable = (e: TeacherError): boolean => e._tag !== "TeacherRejectedError"

/** The first `max` characters of a text, marked when cut: for messages that quote a server. */
export const excerpt = (text: string, max = 300): string =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`
