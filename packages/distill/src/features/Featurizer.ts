/**
 * Text to sparse features: hashed word n-grams, word pairs, character
 * n-grams inside words and the kept header fields, each in its own hash
 * namespace, weighted 1 + ln(count) and scaled to unit length.
 *
 * The same code runs when the student is trained and on the device, so the
 * model sees exactly what it learned from. Hashing is xxHash32 from
 * `xxhash-wasm` (the wasm is inlined, so a browser worker loads it offline).
 */

import { Effect } from "effect"
import xxhash from "xxhash-wasm"
import { defaults, type FeaturizerConfig, problem } from "./FeaturizerConfig.js"
import { FeaturizerConfigError } from "./FeaturizerConfigError.js"
import * as MessageText from "./MessageText.js"

/** One message's features: ascending bucket indices and their weights. */
export interface SparseFeatures {
  readonly indices: Int32Array
  readonly values: Float32Array
}

export interface Featurizer {
  readonly config: FeaturizerConfig
  featurize(text: string): SparseFeatures
}

const TOKEN = /[\p{L}\p{N}_$€£]+|[!?]/gu
/** Longer runs are encoded data (base64, long URLs): their words count, their letters are noise. */
const MAX_CHARGRAM_TOKEN = 24

type Hash = (input: string, seed?: number) => number

/** A word's own hash and the buckets of its character n-grams. */
interface Known {
  readonly hash: number
  readonly grams: Int32Array
}

/** A word of this message, with how often it occurs in it. */
interface Word {
  readonly known: Known
  times: number
}

/** Words whose hashes are kept across messages: about 3 MB at most. */
const KNOWN_WORDS = 20_000

/** MurmurHash3's 32-bit finalizer: spreads a combination of two hashes over all bits. */
const fmix32 = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The hash of a word n-gram from the hash of its first word and of the rest, in a namespace. */
const combine = (first: number, rest: number, space: number): number =>
  fmix32(Math.imul(first ^ space, 0x9e3779b1) ^ rest)

const featurizeWith = (h32: Hash, config: FeaturizerConfig) => {
  const { buckets, wordNgrams, charNgrams, maxChars, headers, seed } = config
  const headerNames = headers.map((h) => h.toLowerCase())
  const mask = buckets - 1
  // A dense count per bucket plus the list of buckets seen: O(1) per n-gram
  // (a Map costs more than the hash), cleared after each message.
  const counts = new Uint32Array(buckets)
  const seen: Array<number> = []
  // Each kind of n-gram (and each kept header field) hashes with a seed of
  // its own, so "free" in a subject and "free" in the body are different
  // features without building prefixed strings.
  const namespace = (n: number) => (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0
  const [wordSeed, pairSeed, charSeed] = [namespace(0), namespace(1), namespace(2)]
  const fieldSeeds = headerNames.map((_, n) => namespace(16 + n))
  // What a word hashes to does not change, and mail reuses words: the word's
  // hash and its character n-grams' buckets are kept across messages, up to
  // KNOWN_WORDS of them (then forgotten at once), so memory stays bounded.
  const knownWords = new Map<string, Known>()
  const know = (token: string): Known => {
    let known = knownWords.get(token)
    if (known !== undefined) return known
    const grams: Array<number> = []
    if (charNgrams !== null && token.length <= MAX_CHARGRAM_TOKEN) {
      const word = `<${token}>`
      for (let n = charNgrams[0]; n <= charNgrams[1]; n++) {
        for (let at = 0; at + n <= word.length; at++)
          grams.push(h32(word.slice(at, at + n), charSeed) & mask)
      }
    }
    known = { hash: h32(token, wordSeed), grams: Int32Array.from(grams) }
    if (knownWords.size >= KNOWN_WORDS) knownWords.clear()
    knownWords.set(token, known)
    return known
  }
  return (text: string): SparseFeatures => {
    // A call that threw half-way (a hostile text, say) left its counts behind.
    for (const bucket of seen) counts[bucket] = 0
    seen.length = 0
    const bump = (bucket: number, times: number) => {
      if (counts[bucket] === 0) seen.push(bucket)
      counts[bucket]! += times
    }
    const message = MessageText.read(text, headerNames, maxChars)
    for (const [name, value] of message.fields) {
      const space = fieldSeeds[headerNames.indexOf(name)]!
      for (const token of value.match(TOKEN) ?? []) bump(h32(token, space) & mask, 1)
    }
    const tokens = message.body.match(TOKEN) ?? []
    // Each distinct word is hashed once: that hash is its feature, its
    // character n-grams are hashed once and counted as often as it occurs,
    // and word n-grams combine the words' hashes (as fastText does) rather
    // than hash the joined words again.
    const words = new Map<string, Word>()
    const hashes = new Uint32Array(tokens.length)
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!
      let word = words.get(token)
      if (word === undefined) {
        word = { known: know(token), times: 0 }
        words.set(token, word)
      }
      word.times++
      const hash = word.known.hash
      hashes[i] = hash
      let gram = hash
      for (let n = 2; n <= wordNgrams && i + 1 >= n; n++) {
        gram = combine(hashes[i + 1 - n]!, gram, pairSeed + n)
        bump(gram & mask, 1)
      }
    }
    for (const { known, times } of words.values()) {
      if (wordNgrams >= 1) bump(known.hash & mask, times)
      for (let k = 0; k < known.grams.length; k++) bump(known.grams[k]!, times)
    }
    const indices = Int32Array.from(seen).sort()
    seen.length = 0
    const values = new Float32Array(indices.length)
    let norm = 0
    for (let k = 0; k < indices.length; k++) {
      const weight = 1 + Math.log(counts[indices[k]!]!)
      counts[indices[k]!] = 0
      values[k] = weight
      norm += weight * weight
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0
    for (let k = 0; k < values.length; k++) values[k] = values[k]! * scale
    return { indices, values }
  }
}

/** A featurizer for `config` (defaults: the on-device triage featurizer); fails on a bad config. */
export const make = (
  config: FeaturizerConfig = defaults,
): Effect.Effect<Featurizer, FeaturizerConfigError> =>
  Effect.gen(function* () {
    const bad = problem(config)
    if (bad !== undefined) return yield* new FeaturizerConfigError({ message: bad })
    const { h32 } = yield* Effect.promise(() => xxhash())
    return { config, featurize: featurizeWith(h32, config) }
  })

/** {@link make} as a Promise. */
export const create = (config: FeaturizerConfig = defaults): Promise<Featurizer> =>
  Effect.runPromise(make(config))
