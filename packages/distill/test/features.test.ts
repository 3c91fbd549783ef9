import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  Featurizer,
  FeaturizerConfig,
  FeaturizerConfigError,
  SparseBatch,
} from "../src/features/index.js"

const mail = [
  "From spammer@example.com  Thu Aug 22 13:17:22 2002",
  "Return-Path: <bounce@example.com>",
  "Subject: Life Insurance - Why Pay More?",
  "From: Deals <deals@example.com>",
  "X-Mailer: Mass Mailer 5",
  "Content-Type: text/html;",
  '\tcharset="iso-8859-1"',
  "",
  "<html><body>Click here to SAVE $$$ on life insurance! FREE quote!!!</body></html>",
].join("\n")

describe("Featurizer", () => {
  it("gives ascending unique bucket indices with unit-length weights, the same every time", async () => {
    const f = await Featurizer.create()
    const a = f.featurize(mail)
    const b = f.featurize(mail)
    expect(a.indices.length).toBeGreaterThan(50)
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices))
    expect(Array.from(a.values)).toEqual(Array.from(b.values))
    for (let k = 1; k < a.indices.length; k++)
      expect(a.indices[k]!).toBeGreaterThan(a.indices[k - 1]!)
    expect(Math.hypot(...a.values)).toBeCloseTo(1, 5)
    for (const i of a.indices) expect(i >= 0 && i < FeaturizerConfig.defaults.buckets).toBe(true)
  })

  it("gives the same features whatever it saw before: words are remembered across messages, and forgotten past a bound", async () => {
    const fresh = await Featurizer.create()
    const used = await Featurizer.create()
    const expected = fresh.featurize(mail)
    // 30 000 distinct words: more than it keeps, so its memory of words is cleared on the way.
    for (let k = 0; k < 300; k++)
      used.featurize(Array.from({ length: 100 }, (_, j) => `w${k}x${j}`).join(" "))
    const again = used.featurize(mail)
    expect(Array.from(again.indices)).toEqual(Array.from(expected.indices))
    expect(Array.from(again.values)).toEqual(Array.from(expected.values))
    expect(Array.from(used.featurize(mail).indices)).toEqual(Array.from(expected.indices))
  })

  it("counts a repeated word and each of its pairs as often as they occur", async () => {
    const f = await Featurizer.create({
      ...FeaturizerConfig.defaults,
      charNgrams: null,
      wordNgrams: 2,
    })
    const once = f.featurize("spam eggs")
    const twice = f.featurize("spam eggs spam eggs")
    // "spam eggs spam eggs": spam ×2, eggs ×2, "spam eggs" ×2, "eggs spam" ×1.
    expect(twice.indices.length).toBe(once.indices.length + 1)
  })

  it("reads kept header fields and drops the rest of the header block", async () => {
    const f = await Featurizer.create({
      ...FeaturizerConfig.defaults,
      wordNgrams: 1,
      charNgrams: null,
    })
    const withMailer = f.featurize(mail)
    const otherMailer = f.featurize(mail.replace("Mass Mailer 5", "Outlook Express 6"))
    expect(Array.from(otherMailer.indices)).toEqual(Array.from(withMailer.indices))
    const otherSubject = f.featurize(mail.replace("Why Pay More?", "meeting notes"))
    expect(Array.from(otherSubject.indices)).not.toEqual(Array.from(withMailer.indices))
  })

  it("treats a word in the subject and the same word in the body as different features", async () => {
    const f = await Featurizer.create({
      ...FeaturizerConfig.defaults,
      wordNgrams: 1,
      charNgrams: null,
      headers: ["subject"],
    })
    const inSubject = f.featurize("Subject: lottery\n\nhello")
    const inBody = f.featurize("Subject: hello\n\nlottery")
    expect(Array.from(inSubject.indices)).not.toEqual(Array.from(inBody.indices))
  })

  it("reads plain text that only looks like a header as body: its words are kept", async () => {
    const f = await Featurizer.create({ ...FeaturizerConfig.defaults, charNgrams: null })
    const plain = f.featurize("plain words here")
    for (const text of [
      "Note: call me about the free prize",
      "From the desk of the director: claim your prize",
      "Note: call me\nabout the free prize, it is not a header",
      "Note: call me\nabout the prize\n\nand the rest",
    ]) {
      // As a header its only field ("note") is not kept: nothing would be left.
      expect(f.featurize(text).indices.length).toBeGreaterThan(plain.indices.length)
    }
    // A real header block is still read as one: a dropped field adds nothing.
    const mailLike = "X-Mailer: Mass\nX-Other: more\n\nbody"
    expect(Array.from(f.featurize(mailLike).indices)).toEqual(
      Array.from(f.featurize("X-Mailer: Other\nX-Other: less\n\nbody").indices),
    )
  })

  it("bounds the header too: megabytes with no blank line, or one field folded over megabytes", async () => {
    const f = await Featurizer.create({ ...FeaturizerConfig.defaults, charNgrams: null })
    const { maxChars } = FeaturizerConfig.defaults
    // No blank line in the first 64 KB: not a mail, read as body (and only its head).
    const noBlank = `Subject: a\nFrom: b\n${"X-Junk: word\n".repeat(500_000)}`
    expect(Array.from(f.featurize(noBlank).indices)).toEqual(
      Array.from(f.featurize(noBlank.slice(0, maxChars)).indices),
    )
    // A folded subject is read up to maxChars.
    const folded = (lines: number) => `Subject: hello\n${" there\n".repeat(lines)}From: x\n\nbody`
    expect(Array.from(f.featurize(folded(3_000)).indices)).toEqual(
      Array.from(f.featurize(folded(6_000)).indices),
    )
  })

  it("reads only the head of a long body, so the cost does not grow with the message", async () => {
    const f = await Featurizer.create()
    const head = `Subject: hi\n\n${"word ".repeat(600)}`
    const huge = `${head}${"tail ".repeat(400_000)}`
    const short = f.featurize(head.slice(0, 14 + FeaturizerConfig.defaults.maxChars))
    const long = f.featurize(huge)
    expect(Array.from(long.indices)).toEqual(Array.from(short.indices))
  })

  it("takes odd input without failing: empty, whitespace, emoji, control bytes, CRLF mail, no body", async () => {
    const f = await Featurizer.create()
    expect(f.featurize("").indices.length).toBe(0)
    expect(f.featurize("   \n\t ").indices.length).toBe(0)
    expect(f.featurize("🙂🙂 ünïcödé 東京 Москва").indices.length).toBeGreaterThan(0)
    expect(f.featurize("\u0000\u0001\uffff\ud800").values.every(Number.isFinite)).toBe(true)
    const crlf = f.featurize("Subject: hello\r\nFrom: a@b.c\r\n\r\nbody text")
    const lf = f.featurize("Subject: hello\nFrom: a@b.c\n\nbody text")
    expect(Array.from(crlf.indices)).toEqual(Array.from(lf.indices))
    expect(f.featurize("Subject: only a header").indices.length).toBeGreaterThan(0)
  })

  it("refuses a config it cannot run with a typed error that names the field", async () => {
    const bad = [
      { ...FeaturizerConfig.defaults, buckets: 1000 },
      { ...FeaturizerConfig.defaults, charNgrams: [5, 3] as const },
      { ...FeaturizerConfig.defaults, wordNgrams: 0, charNgrams: null },
      { ...FeaturizerConfig.defaults, version: 2 as 1 },
      // As a model's metadata or a JS caller might give them.
      { ...FeaturizerConfig.defaults, charNgrams: 3 as unknown as [number, number] },
      { ...FeaturizerConfig.defaults, charNgrams: undefined as unknown as null },
      null as unknown as FeaturizerConfig.FeaturizerConfig,
      "hashed-ngrams" as unknown as FeaturizerConfig.FeaturizerConfig,
    ]
    for (const config of bad) {
      const error = await Effect.runPromise(Effect.flip(Featurizer.make(config)))
      expect(error).toBeInstanceOf(FeaturizerConfigError)
    }
    const error = await Effect.runPromise(
      Effect.flip(Featurizer.make({ ...FeaturizerConfig.defaults, buckets: 1000 })),
    )
    expect(error.message).toMatch(/buckets must be a power of two/)
  })
})

describe("SparseBatch.pad", () => {
  it("pads rows to the widest with bucket 0 and weight 0", () => {
    const batch = SparseBatch.pad([
      { indices: Int32Array.of(3, 7), values: Float32Array.of(0.6, 0.8) },
      { indices: Int32Array.of(5), values: Float32Array.of(1) },
    ])
    expect(batch).toMatchObject({ rows: 2, width: 2 })
    expect(Array.from(batch.indices)).toEqual([3n, 7n, 5n, 0n])
    expect(Array.from(batch.values)).toEqual([Math.fround(0.6), Math.fround(0.8), 1, 0])
  })

  it("keeps one column for rows with no features at all", () => {
    const batch = SparseBatch.pad([{ indices: new Int32Array(0), values: new Float32Array(0) }])
    expect(batch).toMatchObject({ rows: 1, width: 1 })
    expect(Array.from(batch.values)).toEqual([0])
  })
})
