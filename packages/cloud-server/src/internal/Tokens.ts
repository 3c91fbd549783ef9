/**
 * Token counts and token pieces with a real tokenizer: OpenAI's o200k_base
 * (GPT-4o and later), through gpt-tokenizer. `usage` and `logprobs` read
 * these, so a client counting with the same tokenizer gets the same numbers.
 */
import ranks from "gpt-tokenizer/bpeRanks/o200k_base"
import { encode, encodeChat } from "gpt-tokenizer/encoding/o200k_base"

export { encode }

export interface ChatText {
  readonly role: string
  readonly content: string
}

/** A run of this many characters without a space is cut up before it is counted. */
const LONG_RUN = 2000
const longRuns = new RegExp(`\\S{${LONG_RUN},}`, "g")

/**
 * Tokens in a text. gpt-tokenizer's BPE is quadratic in the length of one
 * pre-token: a 150 000-character "word" takes seconds and a megabyte
 * minutes, holding the event loop. Runs of LONG_RUN or more characters
 * without a space are therefore counted in slices of LONG_RUN / 2: exact for
 * ordinary text, within a token or two per slice for such runs.
 */
export const countTokens = (text: string): number => {
  let count = 0
  let from = 0
  for (const run of text.matchAll(longRuns)) {
    count += encode(text.slice(from, run.index)).length
    for (let at = 0; at < run[0].length; at += LONG_RUN / 2)
      count += encode(run[0].slice(at, at + LONG_RUN / 2)).length
    from = run.index + run[0].length
  }
  return count + encode(text.slice(from)).length
}

/** Prompt tokens as OpenAI counts a chat: each message framed, plus the assistant's priming. */
export const promptTokens = (messages: ReadonlyArray<ChatText>): number =>
  encodeChat(
    messages.map((m) => ({ role: m.role, content: "" })),
    "gpt-4o",
  ).length + messages.reduce((sum, m) => sum + countTokens(m.content), 0)

const utf8 = new TextEncoder()

/** The bytes a token stands for (a token may be part of a character). */
export const bytesOf = (token: number): Array<number> => {
  const rank = ranks[token]
  if (rank === undefined) throw new Error(`no token ${token} in o200k_base`)
  return typeof rank === "string" ? Array.from(utf8.encode(rank)) : [...rank]
}

/** A token as text; one that is part of a character is written as its bytes (`\xe2\x80`), as OpenAI does. */
export const textOf = (token: number): string => {
  const rank = ranks[token]
  if (rank === undefined) throw new Error(`no token ${token} in o200k_base`)
  return typeof rank === "string"
    ? rank
    : rank.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")
}

/** The index of the token whose bytes hold byte `offset` of `tokens`' text. */
export const tokenAtByte = (tokens: ReadonlyArray<number>, offset: number): number => {
  let end = 0
  for (let i = 0; i < tokens.length; i++) {
    end += bytesOf(tokens[i]!).length
    if (offset < end) return i
  }
  throw new Error(`byte ${offset} is past the end of the text (${end} bytes)`)
}

/** The UTF-8 length of a string. */
export const byteLength = (text: string): number => utf8.encode(text).length
