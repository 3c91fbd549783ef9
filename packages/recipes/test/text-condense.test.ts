/**
 * TextCondense as a core condense stage: clean → mask → pick, the tokens it
 * reports, and that a tap after it records only masked text.
 */
import { createRunner, Pipeline, Tap } from "@edgeline/core"
import { PiiMask, TextCondense, TokenCount } from "@edgeline/recipes"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"

const paragraph = (i: number) =>
  `Paragraph ${i}: our quarterly numbers improved in region ${i}, and the team expects growth to continue through the next year.`
const mail = [
  "From ann@example.com  Thu Aug 22 13:17:22 2002",
  "Received: from mail.example.com by mx.example.org",
  "From: Ann Smith <ann.smith@example.com>",
  "To: bob@example.org",
  "Subject: Quarterly numbers (call 415-555-0132)",
  "Content-Type: text/plain",
  "",
  "Hi Bob, the report is at https://intra.example.com/reports/q3?token=abc123&user=bob today.",
  "Call me at +1 415 555 0132 or write to ann.private@example.net.",
  ...Array.from({ length: 30 }, (_, i) => paragraph(i)),
  "",
  "On Tue, 3 Sep 2002, Bob wrote:",
  "> send me the numbers, my number is 020 7946 0958",
  "",
  "-- ",
  "Ann Smith, +44 20 7946 0000",
].join("\n")

const SECRETS = [
  "ann@example.com",
  "ann.smith@example.com",
  "bob@example.org",
  "ann.private@example.net",
  "415-555-0132",
  "415 555 0132",
  "020 7946 0958",
  "7946 0000",
  "token=abc123",
  "user=bob",
]

describe("TextCondense", () => {
  it("condenses a mail under the budget, masked, subject first", async () => {
    const out = await Effect.runPromise(TextCondense.condense(mail, { tokenBudget: 96 }))
    expect(out.tokensOut).toBe(TokenCount.count(out.text))
    expect(out.tokensOut).toBeLessThanOrEqual(96)
    expect(out.tokensIn).toBe(TokenCount.count(mail))
    expect(
      out.text.startsWith(
        "Subject: Quarterly numbers (call [phone])\nFrom: Ann Smith <[email]>\n\n",
      ),
    ).toBe(true)
    for (const secret of SECRETS) expect(out.text).not.toContain(secret)
    expect(out.masked.emails).toBeGreaterThanOrEqual(2)
    expect(out.masked.phones).toBeGreaterThanOrEqual(2)
    expect(out.sentences.kept).toBeLessThan(out.sentences.total)
    expect(out.text).not.toContain("wrote:")
  })

  it("masks by default and not when told", async () => {
    const text = "Write to ann@example.com or call (415) 555-0132."
    const on = await Effect.runPromise(TextCondense.condense(text))
    expect(on.text).toBe("Write to [email] or call [phone].")
    expect(on.masked).toEqual({ emails: 1, phones: 1, queries: 0 })
    const off = await Effect.runPromise(TextCondense.condense(text, { mask: false }))
    expect(off.text).toBe(text)
    expect(off.masked).toEqual(PiiMask.none)
  })

  it("keeps the subject when the budget is tiny", async () => {
    const out = await Effect.runPromise(TextCondense.condense(mail, { tokenBudget: 12 }))
    expect(out.tokensOut).toBeLessThanOrEqual(12)
    expect(out.text.startsWith("Subject: Quarterly")).toBe(true)
  })

  it("is a condense stage: runs in a pipeline, reports tokens, and a tap after it records only masked text", async () => {
    expect(TextCondense.stage.kind).toBe("condense")
    const recorded: Array<string> = []
    const pipeline = Pipeline.make(
      "condense-and-record",
      TextCondense.make({ tokenBudget: 128 }),
      Tap.tap({
        name: "record",
        record: (value: TextCondense.Condensed) =>
          Effect.sync(() => recorded.push(JSON.stringify(value))),
      }),
    )
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    const out = await runner.run(mail)
    await runner.close()
    expect(out.tokensOut).toBeLessThanOrEqual(128)
    expect(recorded).toHaveLength(1)
    for (const secret of SECRETS) expect(recorded[0]).not.toContain(secret)
    const defaults = await createRunner(TextCondense.pipeline, { layer: Layer.empty })
    const plain = await defaults.run("Plain text, no mail: a@b.io")
    await defaults.close()
    expect(plain.text).toBe("Plain text, no mail: [email]")
  })
})
