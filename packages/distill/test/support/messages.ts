/**
 * Real mail for tests: the training split of the SpamAssassin `-1` subsets
 * (never the `-2` subsets, which are kept for independent evaluation),
 * loaded once per test file.
 */
import * as SpamAssassin from "../../src/data/SpamAssassin.js"

let cached: Promise<ReadonlyArray<SpamAssassin.Message>> | undefined

export const trainingMessages = (): Promise<ReadonlyArray<SpamAssassin.Message>> => {
  cached ??= SpamAssassin.load("train")
  return cached
}

/** `n` inputs: real messages first, then the same messages cut, joined and shouted, for variety. */
export const inputs = async (n: number): Promise<Array<string>> => {
  const messages = (await trainingMessages()).map((m) => m.text)
  const out: Array<string> = []
  for (let k = 0; out.length < n; k++) {
    const m = messages[k % messages.length]!
    const variant = Math.floor(k / messages.length)
    out.push(
      variant === 0
        ? m
        : variant === 1
          ? m.slice(0, 200 + (k % 900)).toUpperCase()
          : `${m} ${messages[(k * 7) % messages.length]}`,
    )
  }
  return out
}
