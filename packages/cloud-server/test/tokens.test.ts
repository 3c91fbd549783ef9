/**
 * Prompt tokens: exactly gpt-tokenizer's o200k_base count for ordinary
 * text, and close to it for a text holding one enormous "word", which
 * gpt-tokenizer alone would take minutes over (its BPE is quadratic in the
 * length of one pre-token).
 */

import { TokenCount } from "@edgeline/recipes"
import { encode, encodeChat } from "gpt-tokenizer/encoding/o200k_base"
import { describe, expect, it } from "vitest"
import * as Tokens from "../src/internal/Tokens.js"

const word = (length: number) =>
  Array.from({ length }, (_, i) => "etaoinshrdlucmfwyp"[(i * 7) % 18]).join("")

describe("Tokens.promptTokens", () => {
  it("is encodeChat's count for ordinary chats, whatever the roles", () => {
    const chats = [
      [{ role: "user", content: "Subject: hi\n\nAre we still on for lunch? 🙂" }],
      [
        { role: "system", content: "You label mail." },
        { role: "user", content: `Subject: offer\n\n${"Buy now, save big! ".repeat(500)}` },
        { role: "assistant", content: "" },
      ],
      [{ role: "user", content: `${word(1999)} and the rest` }],
    ]
    for (const messages of chats) {
      expect(Tokens.promptTokens(messages)).toBe(encodeChat(messages as never, "gpt-4o").length)
    }
  })

  it("counts a long run without spaces in slices, within a token or two per slice of the exact count", () => {
    const long = word(20_000)
    const text = `Subject: x\n\nbefore ${long} after`
    const exact = encode(text).length
    const counted = TokenCount.count(text)
    // 20 000 characters: 20 slices of 1 000.
    expect(Math.abs(counted - exact)).toBeLessThanOrEqual(2 * 20)
    expect(counted).toBeGreaterThan(exact * 0.95)
  })

  it("counts a megabyte-long word at all (gpt-tokenizer alone would hold the server for minutes)", () => {
    const counted = TokenCount.count(word(1_000_000))
    expect(counted).toBeGreaterThan(1_000_000 / 4)
    expect(counted).toBeLessThan(1_000_000)
  })
})
