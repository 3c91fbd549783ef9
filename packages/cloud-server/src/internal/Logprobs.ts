/**
 * `logprobs` for a classifier's answer. The content is tokenized with
 * o200k_base; the model is sure of every token but one, so each has logprob 0
 * except the first token of the label's value, whose logprob is
 * ln p(label) and whose `top_logprobs` list each label's first token at the
 * same place with its ln p, most probable first. A client reads the label
 * distribution there, as it would from an LLM's answer.
 *
 * Labels whose first tokens are the same token share it: its probability is
 * their sum, as a token distribution has one entry per token.
 */

import type { Writer } from "./Answer.js"
import * as Tokens from "./Tokens.js"

export interface TopLogprob {
  readonly token: string
  readonly logprob: number
  readonly bytes: Array<number> | null
}

export interface TokenLogprob extends TopLogprob {
  readonly top_logprobs: Array<TopLogprob>
}

/** OpenAI's floor for a token it would never pick: JSON has no -Infinity. */
const FLOOR = -9999

const ln = (p: number): number => Math.max(Math.log(p), FLOOR)

const entry = (token: number, logprob: number): TopLogprob => ({
  token: Tokens.textOf(token),
  logprob,
  bytes: Tokens.bytesOf(token),
})

/** The label's first token in the content that answering with it would give. */
const labelToken = (write: Writer, label: string, probability: number): number => {
  const { content, labelAt } = write(label, probability)
  const tokens = Tokens.encode(content)
  return tokens[Tokens.tokenAtByte(tokens, Tokens.byteLength(content.slice(0, labelAt)))]!
}

/**
 * The logprobs of `labels[chosen]`'s answer, with `top` alternatives per
 * token (0 to 20).
 */
export const of = (
  write: Writer,
  labels: ReadonlyArray<string>,
  probabilities: ArrayLike<number>,
  chosen: number,
  top: number,
): Array<TokenLogprob> => {
  const { content, labelAt } = write(labels[chosen]!, probabilities[chosen]!)
  const tokens = Tokens.encode(content)
  const at = Tokens.tokenAtByte(tokens, Tokens.byteLength(content.slice(0, labelAt)))

  const byToken = new Map<number, number>()
  labels.forEach((label, i) => {
    const token = labelToken(write, label, probabilities[i]!)
    byToken.set(token, (byToken.get(token) ?? 0) + probabilities[i]!)
  })
  const alternatives = [...byToken]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([token, p]) => entry(token, ln(p)))

  return tokens.map((token, i) => {
    if (i === at) return { ...entry(token, ln(byToken.get(token)!)), top_logprobs: alternatives }
    return { ...entry(token, 0), top_logprobs: top > 0 ? [entry(token, 0)] : [] }
  })
}
