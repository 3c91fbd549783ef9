/**
 * Tokens as a cloud model counts them: OpenAI's o200k_base (GPT-4o and
 * later), through `gpt-tokenizer` — pure JavaScript, so it runs in a browser
 * worker as in Node, and the same tokenizer the reference cloud tier bills
 * `usage` with.
 *
 * gpt-tokenizer's BPE is quadratic in the length of one pre-token: a
 * 150 000-character "word" (a base64 blob, a line of `=`) takes seconds and a
 * megabyte minutes. Runs of `LONG_RUN` or more characters without a space are
 * therefore counted in slices of `LONG_RUN / 2`: exact for ordinary text,
 * within a token or two per slice for such runs.
 *
 * @example
 * ```ts
 * import { TokenCount } from "@edgeline/recipes"
 *
 * TokenCount.count("Save up to 70% on Life Insurance.") // 9
 * ```
 */
import { decode, encode } from "gpt-tokenizer/encoding/o200k_base"

/** The tokenizer's name. */
export const encoding = "o200k_base"

/** A run of this many characters without a space is counted in slices. */
export const LONG_RUN = 2000

const longRuns = new RegExp(`\\S{${LONG_RUN},}`, "g")

/** Tokens in a text (see the module's note on very long runs). */
export const count = (text: string): number => {
  let total = 0
  let from = 0
  for (const run of text.matchAll(longRuns)) {
    total += encode(text.slice(from, run.index)).length
    for (let at = 0; at < run[0].length; at += LONG_RUN / 2)
      total += encode(run[0].slice(at, at + LONG_RUN / 2)).length
    from = run.index + run[0].length
  }
  return total + encode(text.slice(from)).length
}

/**
 * The longest start of `text` of at most `tokens` tokens, cut at a token
 * boundary. Only for short texts (a subject line): it encodes `text` whole.
 */
export const truncate = (text: string, tokens: number): string => {
  if (tokens <= 0) return ""
  const ids = encode(text.length > LONG_RUN ? text.slice(0, LONG_RUN) : text)
  if (ids.length <= tokens) return text.length > LONG_RUN ? decode(ids) : text
  // A token may hold part of a character; a cut inside one decodes to U+FFFD, which is dropped.
  return decode(ids.slice(0, tokens)).replace(/\uFFFD+$/u, "")
}
