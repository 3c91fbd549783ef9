/** SentencePick: sentences, budget (counted with the real tokenizer), order. */
import { SentencePick, TokenCount } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"

const story = [
  "Our mortgage rates are the lowest in twenty years.",
  "The weather was nice.",
  "Refinance your mortgage today and lower your monthly mortgage payment.",
  "I had lunch.",
  "Mortgage approval takes minutes, and rates are fixed for thirty years.",
].join(" ")

describe("SentencePick", () => {
  it("splits prose, unwraps hard-wrapped lines and keeps list lines apart", () => {
    const text =
      "First line of a paragraph that is long enough to be\nwrapped by a mail client. Second one!\n\n- item one\n- item two\n----------"
    expect(SentencePick.split(text).map((s) => s.text)).toEqual([
      "First line of a paragraph that is long enough to be wrapped by a mail client.",
      "Second one!",
      "- item one",
      "- item two",
    ])
  })

  it("returns a text that fits unchanged", () => {
    expect(SentencePick.pick(story, { tokenBudget: 1000 })).toEqual({
      text: story,
      tokens: TokenCount.count(story),
      kept: 5,
      sentences: 5,
    })
  })

  it("keeps the informative sentences under the budget, in their order", () => {
    const scores = SentencePick.score(SentencePick.split(story).map((s) => s.text))
    // The three about mortgages outscore the two asides.
    expect(Math.min(scores[0]!, scores[2]!, scores[4]!)).toBeGreaterThan(
      Math.max(scores[1]!, scores[3]!),
    )
    const picked = SentencePick.pick(story, { tokenBudget: 24 })
    expect(picked.tokens).toBe(TokenCount.count(picked.text))
    expect(picked.tokens).toBeLessThanOrEqual(24)
    expect(picked.text).toContain("Our mortgage rates")
    const kept = SentencePick.split(picked.text).map((s) => s.text)
    expect(kept.length).toBeGreaterThanOrEqual(2)
    const order = kept.map((s) => story.indexOf(s))
    expect(order).toEqual([...order].sort((a, b) => a - b))
  })

  it("spends the budget on what the kept sentences do not say yet", () => {
    const text =
      "Cheap mortgage rates: refinance your mortgage today. Mortgage rates are cheap, so refinance your mortgage now. Reply with remove to leave this list."
    // Room for two of the three: the second only repeats the first.
    const picked = SentencePick.pick(text, { tokenBudget: 24 })
    expect(picked.text).toBe(
      "Cheap mortgage rates: refinance your mortgage today. Reply with remove to leave this list.",
    )
  })

  it("splits a very long line in windows without cutting its sentences", () => {
    const line = Array.from({ length: 20_000 }, (_, i) => `Sentence number ${i} ends here.`)
    const sentences = SentencePick.split(line.join(" ")).map((s) => s.text)
    expect(sentences).toEqual(line)
  })

  it("never exceeds the budget, on any budget", () => {
    const text = Array.from(
      { length: 60 },
      (_, i) => `Sentence ${i} about topic ${i % 7} and more words here.`,
    ).join(" ")
    for (const budget of [0, 1, 5, 17, 64, 128, 333]) {
      const picked = SentencePick.pick(text, { tokenBudget: budget })
      expect(TokenCount.count(picked.text)).toBeLessThanOrEqual(budget)
    }
  })

  it("cuts pathological runs before counting them", () => {
    const run = "x".repeat(200_000)
    const picked = SentencePick.pick(`Hello there. ${run} Bye now.`, { tokenBudget: 50 })
    expect(picked.tokens).toBeLessThanOrEqual(50)
    expect(
      SentencePick.split(run).every((s) => s.text.length <= SentencePick.MAX_SENTENCE_CHARS),
    ).toBe(true)
    expect(TokenCount.count(run)).toBeGreaterThan(1000)
  })
})
