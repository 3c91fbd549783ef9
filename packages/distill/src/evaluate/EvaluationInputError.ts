import { Data } from "effect"

/**
 * The input to `Evaluation.evaluate` cannot be evaluated: no items, a
 * probability vector of the wrong length or not a distribution, a truth label
 * that is not one of the labels, an impossible target. The message names the
 * item (by index) and the field.
 */
export class EvaluationInputError extends Data.TaggedError("EvaluationInputError")<{
  readonly message: string
  /** The index of the offending item, when one item is at fault. */
  readonly item: number | undefined
}> {}
