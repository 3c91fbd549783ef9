/**
 * PiiMask: what it masks, what it leaves alone, and hostile inputs (each
 * would take minutes with a pattern that backtracks; the test timeout
 * catches that).
 */
import { PiiMask } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"

const masked = (text: string) => PiiMask.mask(text).text

describe("PiiMask", () => {
  it.each([
    ["write to ann.smith+news@mail.example.co.uk.", "write to [email]."],
    ["<mailto:bob@example.org>", "<mailto:[email]>"],
    ["Ünïcødé: jürgen@bücher.de", "Ünïcødé: [email]"],
    ["call +44 20 7946 0958 now", "call [phone] now"],
    ["call 0044 20 7946 0958", "call [phone]"],
    ["(415) 555-0132", "[phone]"],
    ["415-555-0132 or 415.555.0132 or 415 555 0132", "[phone] or [phone] or [phone]"],
    ["1-800-555-0199", "[phone]"],
    ["dial 555-0132", "dial [phone]"],
    ["UK: 020 7946 0958", "UK: [phone]"],
    ["Tel: 4155550132", "Tel: [phone]"],
    ["fax 49 30 1234567", "fax [phone]"],
    ["https://shop.example.com/cart?user=ann&id=7#pay", "https://shop.example.com/cart?[query]"],
    ["see http://ex.com/a#section-2.", "see http://ex.com/a#[fragment]."],
    ["www.example.com/track?u=ann@example.com", "www.example.com/track?[query]"],
    ["example.com/unsubscribe?id=12345", "example.com/unsubscribe?[query]"],
    ["https://ann:secret@example.com/x", "https://[user]@example.com/x"],
    ["http://ex.com/u/ann@example.com/profile", "http://ex.com/u/[email]/profile"],
  ])("masks %j", (input, output) => {
    expect(masked(input)).toBe(output)
  })

  it.each([
    "Only $1,234.56 or $19.99, save 70%!",
    "On 2002-08-22, 08/22/2002 or 22.08.2002 at 13:17:22",
    "version 1.2.3, build 20020822, IP 192.168.100.10",
    "order 1234567890 and invoice 4111-1111-1111-1111",
    "https://example.com/a/b.html and example.com/page",
    "Is it? Yes! user@localhost",
    "the year 1999 and 12 000 people",
  ])("leaves %j alone", (input) => {
    expect(masked(input)).toBe(input)
  })

  it("counts what it masked", () => {
    expect(PiiMask.mask("a@b.co, c@d.io, +1 415 555 0132, http://x.io/?q=1").counts).toEqual({
      emails: 2,
      phones: 1,
      queries: 1,
    })
  })

  it("stays linear on hostile inputs", () => {
    const mb = 1 << 20
    const letters = "a".repeat(mb)
    expect(masked(letters)).toBe(letters)
    expect(masked(`${letters}@example.com`)).toBe("[email]")
    expect(masked("@".repeat(mb))).toBe("@".repeat(mb))
    expect(masked(`${"a@".repeat(mb / 2)}x`)).toHaveLength(mb + 1)
    expect(masked(`x@${"a.".repeat(mb / 2)}com`)).toBe("[email]")
    expect(masked(`http://example.com/${"p".repeat(mb)}?secret=1`)).toBe(
      `http://example.com/${"p".repeat(mb)}?[query]`,
    )
    expect(masked("http://".repeat(mb / 8))).toBe("http://".repeat(mb / 8))
    const digits = "1".repeat(mb)
    expect(masked(digits)).toBe(digits)
    for (const unit of ["1-", "+1 ", "call ", "(1) "]) {
      const hostile = unit.repeat(mb / unit.length)
      expect(masked(hostile)).toBe(hostile)
    }
    expect(masked(`${"a.".repeat(mb / 2)}com/x?y=1`)).toMatch(/\?\[query\]$/u)
  })
})
