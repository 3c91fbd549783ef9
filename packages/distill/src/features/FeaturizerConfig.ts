/**
 * What a featurizer does to text, as data: it travels inside the exported
 * model's metadata, so the device computes exactly the features the
 * student was trained on.
 */

/** Hashed word and character n-grams of a message. */
export interface FeaturizerConfig {
  readonly kind: "hashed-ngrams"
  readonly version: 1
  /** Hash buckets: the width of the sparse vector, a power of two. */
  readonly buckets: number
  /** Word n-grams up to this length (1 = words, 2 = words and word pairs). */
  readonly wordNgrams: number
  /** Character n-grams inside each word, fastText-style with `<` `>` boundaries; null for none. */
  readonly charNgrams: readonly [min: number, max: number] | null
  /** Characters of the body read (the head of the message; the rest rarely changes the label). */
  readonly maxChars: number
  /** Header fields of a mail message kept as features of their own; the rest of the header block is dropped. */
  readonly headers: ReadonlyArray<string>
  /** Hash seed. */
  readonly seed: number
}

/** The on-device triage featurizer: about 2 000 hashes for a typical mail. */
export const defaults: FeaturizerConfig = {
  kind: "hashed-ngrams",
  version: 1,
  buckets: 1 << 14,
  wordNgrams: 2,
  charNgrams: [3, 4],
  maxChars: 2000,
  headers: ["subject", "from", "content-type"],
  seed: 0,
}

/** Checks a config read from a model's metadata or given by a user; returns the problem, or undefined. */
export const problem = (config: FeaturizerConfig): string | undefined => {
  if (typeof config !== "object" || config === null) {
    return `a featurizer config must be an object, got ${config === null ? "null" : typeof config}`
  }
  if (config.kind !== "hashed-ngrams" || config.version !== 1) {
    return `unknown featurizer ${JSON.stringify(config.kind)} version ${String(config.version)}: this build reads "hashed-ngrams" version 1`
  }
  const { buckets, wordNgrams, charNgrams, maxChars, headers, seed } = config
  if (
    !Number.isInteger(buckets) ||
    buckets < 2 ||
    buckets > 1 << 24 ||
    (buckets & (buckets - 1)) !== 0
  ) {
    return `buckets must be a power of two from 2 to 2^24, got ${buckets}`
  }
  if (!Number.isInteger(wordNgrams) || wordNgrams < 0 || wordNgrams > 4) {
    return `wordNgrams must be an integer from 0 to 4, got ${wordNgrams}`
  }
  if (charNgrams !== null) {
    if (!Array.isArray(charNgrams) || charNgrams.length !== 2) {
      return `charNgrams must be [min, max] or null, got ${JSON.stringify(charNgrams)}`
    }
    const [min, max] = charNgrams
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > 8) {
      return `charNgrams must be [min, max] with 1 ≤ min ≤ max ≤ 8, got ${JSON.stringify(charNgrams)}`
    }
  }
  if (wordNgrams === 0 && charNgrams === null) return "a featurizer needs word or character n-grams"
  if (!Number.isInteger(maxChars) || maxChars < 1)
    return `maxChars must be a positive integer, got ${maxChars}`
  if (!Array.isArray(headers) || headers.some((h) => typeof h !== "string")) {
    return "headers must be a list of header field names"
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    return `seed must be a 32-bit unsigned integer, got ${seed}`
  return undefined
}
