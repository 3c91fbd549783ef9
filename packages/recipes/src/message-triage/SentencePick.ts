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
 * - Words, explainable: each content word (stopwords and bare numbers
 *   aside) weighs `log(1 + its count in the text) × log(1 + sentences /
 *   sentences containing it)` (TF-ISF: frequent in the text, but not in
 *   every sentence).
 * - Pick, without repeating itself: one sentence at a time, the one whose
 *   words not yet picked weigh most per token, times a position bonus
 *   (`1 + 1 / (1 + index)`: openings say what a message is about), among
 *   those that still fit (budgeted maximum coverage, greedy; gains are
 *   re-evaluated lazily, since they only fall). A sentence that repeats what
 *   is already kept is worth nothing new, so the budget goes to what the
 *   message says besides its main topic (an aside, a disclaimer, a closing
 *   offer), which is often what tells its kind.
 * - Budget: the kept sentences are joined in order and the result counted
 *   again with the real tokenizer (`TokenCount`), dropping the last picked
 *   until it fits. A text that fits whole is returned unchanged.
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
 * `Intl.Segmenter` slows down sharply on one long string (Node 20: 130 000
 * characters take 0.1 s, 260 000 take 1.8 s), so a longer line is segmented
 * in windows of this many characters.
 */
const SEGMENT_WINDOW = 8192

/**
 * A long line in windows of at most SEGMENT_WINDOW characters, each cut
 * after the last sentence end followed by a space in its second half, else
 * after its last space there, else at its length.
 */
const windows = (text: string): Array<string> => {
  const out: Array<string> = []
  let rest = text
  while (rest.length > SEGMENT_WINDOW) {
    let at = -1
    for (let i = SEGMENT_WINDOW - 1; i > SEGMENT_WINDOW / 2 && at < 0; i--)
      if (/\s/u.test(rest[i]!) && /[.!?]/u.test(rest[i - 1]!)) at = i + 1
    if (at < 0) {
      const space = rest.lastIndexOf(" ", SEGMENT_WINDOW - 1)
      at = space > SEGMENT_WINDOW / 2 ? space + 1 : SEGMENT_WINDOW
    }
    out.push(rest.slice(0, at))
    rest = rest.slice(at)
  }
  out.push(rest)
  return out
}

/**
 * Sentences of one line or paragraph, each with whether the next follows
 * without a space (a regex split where `Intl.Segmenter` is missing).
 */
const segment = (text: string): Array<Piece> => {
  const parts =
    segmenter === undefined
      ? text.split(/(?<=[.!?]\s+)/u)
      : windows(text).flatMap((w) => Array.from(segmenter.segment(w), (s) => s.segment))
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

/** Each content word's weight (TF-ISF, see the module's note), per sentence. */
const weightsOf = (sentences: ReadonlyArray<string>): Array<Map<string, number>> => {
  const all = sentences.map(wordsOf)
  const words = all.map((ws) => new Set(ws))
  const counts = new Map<string, number>()
  const containing = new Map<string, number>()
  for (const [i, ws] of all.entries()) {
    for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1)
    for (const w of words[i]!) containing.set(w, (containing.get(w) ?? 0) + 1)
  }
  const n = sentences.length
  return words.map(
    (ws) =>
      new Map(
        Array.from(ws, (w) => [w, Math.log1p(counts.get(w)!) * Math.log1p(n / containing.get(w)!)]),
      ),
  )
}

/** The position bonus: `1 + 1 / (1 + index)`. */
const bonus = (index: number): number => 1 + 1 / (1 + index)

/**
 * Each sentence's worth before anything is picked, in order: the weight of
 * its distinct content words times the position bonus, per token (its own
 * tokens and one for the space or line break that joins it). Picking then
 * counts only the words not yet kept.
 */
export const score = (sentences: ReadonlyArray<string>): ReadonlyArray<number> =>
  weightsOf(sentences).map((weights, index) => {
    let sum = 0
    for (const w of weights.values()) sum += w
    return (sum * bonus(index)) / (TokenCount.count(sentences[index]!) + 1)
  })

/** A max-heap of sentence indices by value, the earlier sentence first on ties. */
const heap = () => {
  const items: Array<{ index: number; value: number; round: number }> = []
  const above = (a: number, b: number) =>
    items[a]!.value > items[b]!.value ||
    (items[a]!.value === items[b]!.value && items[a]!.index < items[b]!.index)
  const swap = (a: number, b: number) => {
    const t = items[a]!
    items[a] = items[b]!
    items[b] = t
  }
  return {
    size: () => items.length,
    push: (item: { index: number; value: number; round: number }) => {
      items.push(item)
      for (let i = items.length - 1; i > 0 && above(i, (i - 1) >> 1); i = (i - 1) >> 1)
        swap(i, (i - 1) >> 1)
    },
    pop: () => {
      const top = items[0]!
      const last = items.pop()!
      if (items.length > 0) {
        items[0] = last
        for (let i = 0; ; ) {
          const [l, r] = [2 * i + 1, 2 * i + 2]
          let best = i
          if (l < items.length && above(l, best)) best = l
          if (r < items.length && above(r, best)) best = r
          if (best === i) break
          swap(i, best)
          i = best
        }
      }
      return top
    },
  }
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
  const weights = weightsOf(sentences.map((s) => s.text))
  // Its own tokens and one for the space or line break that joins it.
  const costs = sentences.map((s) => TokenCount.count(s.text) + 1)
  const covered = new Set<string>()
  const gain = (i: number) => {
    let sum = 0
    for (const [w, weight] of weights[i]!) if (!covered.has(w)) sum += weight
    return (sum * bonus(i)) / costs[i]!
  }
  // Lazy greedy: a value computed in an earlier round is an upper bound
  // (gains only fall as words are covered), so only the top is recomputed.
  const queue = heap()
  for (let i = 0; i < sentences.length; i++)
    if (costs[i]! <= budget) queue.push({ index: i, value: gain(i), round: 0 })
  const picked: Array<number> = []
  let used = 0
  while (queue.size() > 0) {
    const top = queue.pop()
    // The budget left only shrinks: a sentence that no longer fits never will.
    if (used + costs[top.index]! > budget) continue
    if (top.round !== picked.length) {
      queue.push({ index: top.index, value: gain(top.index), round: picked.length })
      continue
    }
    picked.push(top.index)
    used += costs[top.index]!
    for (const w of weights[top.index]!.keys()) covered.add(w)
  }
  // Joining can merge or split tokens at the seams: count the result and drop the last picked until it fits.
  const chosen = new Set(picked)
  for (;;) {
    const kept = sentences.filter((_, i) => chosen.has(i))
    const joined = join(kept)
    const tokens = TokenCount.count(joined)
    if (tokens <= budget || chosen.size === 0)
      return { text: joined, tokens, kept: kept.length, sentences: sentences.length }
    chosen.delete(picked.pop()!)
  }
}
