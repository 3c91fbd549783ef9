/**
 * What `pocketsphinx_continuous -time yes` prints, read into a transcript.
 * Per utterance (it cuts the audio at pauses) it prints the hypothesis on a
 * line of its own, then one line per word of the best path:
 * `word start end posterior`, times in seconds from the start of the input,
 * bracketed by `<s>` and `</s>` and with fillers (`<sil>`, `[NOISE]`, `++…++`)
 * and alternative pronunciations (`the(2)`) as the dictionary names them.
 */
import type { Transcript, TranscriptSegment, TranscriptWord } from "../Transcriber.js"

const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)$/
const FILLER = /^(?:<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/

/** A dictionary word without its pronunciation variant: `the(2)` → `the`. */
const bare = (word: string) => word.replace(/\(\d+\)$/, "")

interface Building {
  text: string
  start: number
  end: number
  readonly words: Array<TranscriptWord>
}

export const parse = (stdout: string): Transcript => {
  const built: Array<Building> = []
  let current: Building | undefined
  for (const raw of stdout.split("\n")) {
    const line = raw.trim()
    const word = WORD_LINE.exec(line)
    if (word === null) {
      // A hypothesis: the start of the next utterance (an empty line for one heard as silence).
      current = { text: line.split(/\s+/).map(bare).join(" "), start: Infinity, end: 0, words: [] }
      built.push(current)
      continue
    }
    if (current === undefined) {
      current = { text: "", start: Infinity, end: 0, words: [] }
      built.push(current)
    }
    const start = Number(word[2])
    const end = Number(word[3])
    current.start = Math.min(current.start, start)
    current.end = Math.max(current.end, end)
    if (FILLER.test(word[1]!)) continue
    // The posterior can come out a hair over 1 (1.000200): it is a probability, so clamp it.
    const probability = Math.min(1, Math.max(0, Number(word[4])))
    current.words.push({ word: bare(word[1]!), start, end, probability })
  }
  const segments: Array<TranscriptSegment> = built
    .map((b) => ({
      ...b,
      text: b.text !== "" ? b.text : b.words.map((w) => w.word).join(" "),
    }))
    .filter((b) => b.text !== "")
    .map((b) => ({
      text: b.text,
      start: Number.isFinite(b.start) ? b.start : 0,
      end: b.end,
      words: b.words,
    }))
  return { text: segments.map((s) => s.text).join(" "), segments }
}
