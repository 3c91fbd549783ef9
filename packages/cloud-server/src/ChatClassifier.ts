/**
 * What the server runs behind `POST /v1/chat/completions`: a text classifier
 * that stands in for a large language model. It reads the text of the last
 * user message and gives one probability per label; the server turns that
 * into an answer in the format the request asked for (see the README).
 *
 * @example
 * ```ts
 * import type { ChatClassifier } from "@edgeline/cloud-server"
 *
 * const keywords: ChatClassifier = {
 *   id: "keyword-triage",
 *   labels: ["ham", "spam"],
 *   description: "spam when the text offers a prize",
 *   classify: async (texts) => texts.map((t) => (/prize/i.test(t) ? [0.1, 0.9] : [0.8, 0.2])),
 * }
 * ```
 */

export interface ChatClassifier {
  /** The model's name: what `GET /v1/models` lists and a request's `model` names. */
  readonly id: string
  /** The labels, in the order of each row `classify` gives. At least two, all different. */
  readonly labels: ReadonlyArray<string>
  /** What the model is, for people (not sent to clients). */
  readonly description?: string | undefined
  /** `owned_by` in `GET /v1/models` (default `"edgeline"`). */
  readonly ownedBy?: string | undefined
  /**
   * One row per text: the probability of each label, in `labels` order, each
   * from 0 to 1. A row that is not (wrong length, NaN, negative) fails the
   * request with a 500 naming the model.
   */
  readonly classify: (
    texts: ReadonlyArray<string>,
  ) => Promise<ReadonlyArray<ArrayLike<number>>> | ReadonlyArray<ArrayLike<number>>
  /**
   * Frees what the model holds (an onnxruntime session, say). The server
   * does not own its models and never calls it: whoever made the model
   * closes it after `server.close()`.
   */
  readonly close?: (() => Promise<void> | void) | undefined
}
