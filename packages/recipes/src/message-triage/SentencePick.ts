/**
 * Picks the most informative sentences of a text under a token budget and
 * gives them back in their original order.
 *
 * - Sentences: paragraphs (blank-line separated) are unwrapped when their
 *   lines are hard-wrapped prose and kept line by line otherwise (lists,
 *   tables, short lines); each piece is split with `Intl.Segmenter`
 *   (granularity `"sentence"`, in every current browser and Node). A
 *   sentence longer than `MAX_SENTENCE_CHARS` is cut at spaces, a run
 *   without spaces at that length.
 * - Score, explainable: each content word (stopwords and bare numbers
 *   aside) weighs `log(1 + its count in the text) × log(1 + sentences /
 *   sentences containing it)` (TF-ISF: frequent in the text, but not in
 *   every sentence); a sentence's score is the sum over its distinct words
 *   divided by the square root of its word count, times a position bonus
 *   (`1 + 1 / (1 + index)`: openings say what a message is about).
 * - Budget: sentences by score, best first, each taken while it fits; the
 *   kept ones are joined in order and the result counted again with the
 *   real tokenizer (`TokenCount`), dropping the lowest-scored until it fits.
 *   A text that fits whole is returned unchanged.
 *
 * @example
 * ```ts
 * import { SentencePick } from "@edgeline/recipes"
 *
 * const picked = SentencePick.pick(longText, { tokenBudget: 64 })
 * console.log(picked.text, picked.tokens, `${picked.kept}/${picked.sentences}`)
 * ```
 */
import * as TokenCount from "./TokenCount.js"

export interface Options {
  /** Most tokens the picked text may have (o200k_base). */
  readonly tokenBudget: number
}

export interface Picked {
  readonly text: string
  /** Tokens of `text`. */
  readonly tokens: number
  /** Sentences kept, of all the text had. */
  readonly kept: number
  readonly sentences: number
}

export interface Sentence {
  readonly text: string
  /** The line or unwrapped paragraph it came from: sentences of one are joined with a space. */
  readonly unit: number
  /** Whether the next sentence followed it without a space (a split inside "…?[query]", a cut word). */
  readonly glued: boolean
  /** Its position among the text's sentences. */
  readonly index: number
}

/** Longer sentences are cut into pieces of about this many characters. */
export const MAX_SENTENCE_CHARS = 400

const STOPWORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most " +
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she should " +
    "so some such than that the their theirs them themselves then there these they this those through to " +
    "too under until up very was we were what when where which while who whom why will with would you " +
    "your yours yourself yourselves also may might must shall us get got one two re fw fwd http https www " +
    "com net org html htm email phone query fragment user subject from"
  ).split(" "),
)

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu

const segmenter = (() => {
  const Segmenter = (Intl as { Segmenter?: typeof Intl.Segmenter }).Segmenter
  return Segmenter === undefined ? undefined : new Segmenter("en", { granularity: "sentence" })
})()

interface Piece {
  readonly text: string
  readonly glued: boolean
}

/**
 * Sentences of one line or paragraph, each with whether the next follows
 * without a space (a regex split where `Intl.Segmenter` is missing).
 */
const segment = (text: string): Array<Piece> => {
  const parts =
    segmenter === undefined
      ? text.split(/(?<=[.!?]\s+)/u)
      : Array.from(segmenter.segment(text), (s) => s.segment)
  return parts.map((part) => ({ text: part.trim(), glued: !/\s$/u.test(part) }))
}

/** A long sentence cut at spaces into pieces of at most MAX_SENTENCE_CHARS (a space-less run at that length). */
const cut = (sentence: Piece): Array<Piece> => {
  if (sentence.text.length <= MAX_SENTENCE_CHARS) return [sentence]
  const pieces: Array<Piece> = []
  let rest = sentence.text
  while (rest.length > MAX_SENTENCE_CHARS) {
    const space = rest.lastIndexOf(" ", MAX_SENTENCE_CHARS)
    const at = space > MAX_SENTENCE_CHARS / 2 ? space : MAX_SENTENCE_CHARS
    pieces.push({ text: rest.slice(0, at), glued: at !== space })
    rest = rest.slice(at).trimStart()
  }
  if (rest !== "") pieces.push({ text: rest, glued: sentence.glued })
  return pieces
}

/** Hard-wrapped prose: several lines, most of them long, none a list item. */
const isProse = (lines: ReadonlyArray<string>): boolean =>
  lines.length > 1 &&
  lines.filter((l) => l.trim().length >= 40).length * 2 >= lines.length &&
  !lines.some((l) => /^\s*(?:[-*•+]|\d{1,3}[.)])\s/u.test(l))

/** The sentences of a text, in order. */
export const split = (text: string): ReadonlyArray<Sentence> => {
  const out: Array<Sentence> = []
  let unit = 0
  for (const paragraph of text.split(/\n[ \t]*\n/u)) {
    const lines = paragraph.split("\n").filter((l) => l.trim() !== "")
    const units = isProse(lines) ? [lines.map((l) => l.trim()).join(" ")] : lines
    for (const piece of units) {
      for (const s of segment(piece.trim())) {
        for (const c of cut(s)) {
          // Nothing to read (a rule of dashes, a row of stars): not a sentence.
          if (/[\p{L}\p{N}]/u.test(c.text))
            out.push({ text: c.text, unit, glued: c.glued, index: out.length })
        }
      }
      unit++
    }
  }
  return out
}

const wordsOf = (sentence: string): Array<string> =>
  (sentence.toLowerCase().match(WORD) ?? []).filter((w) => !STOPWORDS.has(w) && !/^\d+$/u.test(w))

/** Each sentence's score (see the module's note), in order. */
export const score = (sentences: ReadonlyArray<string>): ReadonlyArray<number> => {
  const words = sentences.map(wordsOf)
  const counts = new Map<string, number>()
  const containing = new Map<string, number>()
  for (const ws of words) {
    for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1)
    for (const w of new Set(ws)) containing.set(w, (containing.get(w) ?? 0) + 1)
  }
  const n = sentences.length
  return words.map((ws, index) => {
    if (ws.length === 0) return 0
    let sum = 0
    for (const w of new Set(ws))
      sum += Math.log1p(counts.get(w)!) * Math.log1p(n / containing.get(w)!)
    return (sum / Math.sqrt(ws.length)) * (1 + 1 / (1 + index))
  })
}

/**
 * Sentences joined in order: as they were when they followed each other,
 * with a space within a line or paragraph otherwise, a new line between
 * lines and paragraphs.
 */
export const join = (sentences: ReadonlyArray<Sentence>): string => {
  let text = ""
  let previous: Sentence | undefined
  for (const s of sentences) {
    if (previous === undefined) text = s.text
    else if (s.unit !== previous.unit) text += `\n${s.text}`
    else {
      text += s.index === previous.index + 1 && previous.glued ? s.text : ` ${s.text}`
    }
    previous = s
  }
  return text
}

/** The best sentences of `text` within `tokenBudget` tokens, in their order. */
export const pick = (text: string, options: Options): Picked => {
  const budget = Math.max(0, Math.floor(options.tokenBudget))
  const sentences = split(text)
  const whole = TokenCount.count(text)
  if (whole <= budget)
    return { text, tokens: whole, kept: sentences.length, sentences: sentences.length }
  const scores = score(sentences.map((s) => s.text))
  const byScore = sentences.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b)
  const chosen = new Set<number>()
  let used = 0
  for (const i of byScore) {
    // Its own tokens and one for the space or line break that joins it.
    const cost = TokenCount.count(sentences[i]!.text) + 1
    if (used + cost <= budget) {
      chosen.add(i)
      used += cost
    }
  }
  // Joining can merge or split tokens at the seams: count the result and drop the weakest until it fits.
  const weakestFirst = [...chosen].sort((a, b) => scores[a]! - scores[b]! || b - a)
  for (;;) {
    const kept = sentences.filter((_, i) => chosen.has(i))
    const joined = join(kept)
    const tokens = TokenCount.count(joined)
    if (tokens <= budget || chosen.size === 0)
      return { text: joined, tokens, kept: kept.length, sentences: sentences.length }
    chosen.delete(weakestFirst.shift()!)
  }
}
