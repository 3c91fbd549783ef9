/**
 * Token counts and token pieces with a real tokenizer: OpenAI's o200k_base
 * (GPT-4o and later), through gpt-tokenizer. `usage` and `logprobs` read
 * these, so a client counting with the same tokenizer gets the same numbers.
 * Message contents are counted as the device's condense counts them
 * (`TokenCount`: long runs without a space in slices, as gpt-tokenizer's BPE
 * is quadratic in one pre-token).
 */

import { TokenCount } from "@edgeline/recipes"
import ranks from "gpt-tokenizer/bpeRanks/o200k_base"
import { encode, encodeChat } from "gpt-tokenizer/encoding/o200k_base"

export { encode }

export interface ChatText {
  readonly role: string
  readonly content: string
}

/** Prompt tokens as OpenAI counts a chat: each message framed, plus the assistant's priming. */
export const promptTokens = (messages: ReadonlyArray<ChatText>): number =>
  encodeChat(
    messages.map((m) => ({ role: m.role, content: "" })),
    "gpt-4o",
  ).length + messages.reduce((sum, m) => sum + TokenCount.count(m.content), 0)

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
