/**
 * Speech made at test time: Debian's `flite` says a sentence in one of its
 * voices, `sox` turns the WAV into other formats, and a word error rate
 * says how close a transcript came. Nothing here is committed audio.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/** flite's voices in Debian: two American (slt female, rms male), Scottish (awb) and kal16 (American, diphone). */
export const VOICES = ["slt", "rms", "awb", "kal16"] as const
export type Voice = (typeof VOICES)[number]

/** Things a voice assistant is asked, after its wake word. */
export const COMMANDS = [
  "what is the weather in london tomorrow",
  "turn off the kitchen lights",
  "set a timer for ten minutes",
  "play some music in the living room",
  "remind me to call my mother at six",
  "how far is the airport from here",
] as const

const inTempDir = async <A>(use: (dir: string) => Promise<A>): Promise<A> => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-speech-"))
  try {
    return await use(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** `text` said by `voice`: a 16 kHz mono 16-bit WAV file's bytes. */
export const say = (voice: Voice, text: string): Promise<Buffer> =>
  inTempDir(async (dir) => {
    const out = join(dir, "speech.wav")
    await run("flite", ["-voice", voice, "-t", text, "-o", out])
    return readFile(out)
  })

/** The WAV converted by sox: `options` are its output options (`-r 8000`, `-c 2`, `-e floating-point -b 32`). */
export const convert = (wav: Uint8Array, options: ReadonlyArray<string>): Promise<Buffer> =>
  inTempDir(async (dir) => {
    const input = join(dir, "in.wav")
    const output = join(dir, "out.wav")
    await writeFile(input, wav)
    await run("sox", [input, ...options, output])
    return readFile(output)
  })

const words = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, " ")
    .split(/\s+/)
    .filter((w) => w !== "")

/** Word-level edit distance (substitutions, deletions, insertions) and the reference's length. */
export const wordErrors = (
  reference: string,
  hypothesis: string,
): { errors: number; words: number } => {
  const ref = words(reference)
  const hyp = words(hypothesis)
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j)
  for (let i = 1; i <= ref.length; i++) {
    const row = [i]
    for (let j = 1; j <= hyp.length; j++) {
      const substitution = previous[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1)
      row.push(Math.min(substitution, previous[j]! + 1, row[j - 1]! + 1))
    }
    previous = row
  }
  return { errors: previous[hyp.length]!, words: ref.length }
}

/** Word error rate: errors over reference words. */
export const wer = (reference: string, hypothesis: string): number => {
  const { errors, words } = wordErrors(reference, hypothesis)
  return words === 0 ? (errors === 0 ? 0 : 1) : errors / words
}
