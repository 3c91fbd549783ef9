import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { DataError, TextRecords } from "../src/index.js"

const file = async (text: string) => {
  const path = join(await mkdtemp(join(tmpdir(), "records-")), "data.jsonl")
  await writeFile(path, text)
  return path
}

const labels = ["ham", "spam"]

describe("TextRecords.read", () => {
  it("reads ids, texts, labels and soft labels, skips blank lines and ignores other fields", async () => {
    const path = await file(
      [
        '{"id": "a", "text": "hello", "label": "ham", "extra": 1}',
        "",
        '{"id": 7, "text": "win $$$", "soft_labels": {"ham": 0.252, "spam": 0.75}}',
        '{"text": "no id"}\r',
      ].join("\n"),
    )
    const records = await TextRecords.readAll(path, { labels })
    expect(records).toEqual([
      { id: "a", text: "hello", label: "ham" },
      { id: "7", text: "win $$$", softLabels: { ham: 0.252, spam: 0.75 } },
      { text: "no id" },
    ])
    const soft = TextRecords.softVector(records[1]!, labels)!
    // Rounded figures from another tool are taken, rescaled to sum to 1.
    expect(soft[0]).toBeCloseTo(0.252 / 1.002, 12)
    expect(soft[1]).toBeCloseTo(0.75 / 1.002, 12)
  })

  it("names the file, the line and the problem for a bad line", async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"text": "ok"}\n{"text": 3}', /:2: "text" must be a string, got number/],
      ['{"text": "ok"}\n{oops', /:2: not valid JSON/],
      ['["text"]', /:1: not a JSON object/],
      ['{"text": "x", "label": "eggs"}', /:1: "label" must be one of "ham", "spam", got "eggs"/],
      ['{"text": "x", "soft_labels": {"spam": 2}}', /"soft_labels"."spam" must be a probability/],
      [
        '{"text": "x", "soft_labels": {"spam": 0.9}}',
        /:1: "soft_labels" needs a probability for every label: "ham" missing/,
      ],
      [
        '{"text": "x", "soft_labels": {"ham": 0.2, "spam": 0.6}}',
        /:1: "soft_labels" must sum to 1, got 0.8/,
      ],
    ]
    for (const [text, message] of cases) {
      const error = await TextRecords.readAll(await file(text), { labels }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DataError)
      expect((error as DataError).message).toMatch(message)
    }
    const unlabelled = await TextRecords.readAll(await file('{"text": "x"}'), {
      labels,
      requireLabel: true,
    }).catch((e) => e)
    expect(unlabelled.message).toMatch(/no "label": one of "ham", "spam"/)
  })

  it("says when the file cannot be opened", async () => {
    const error = await TextRecords.readAll("/nonexistent/data.jsonl").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DataError)
    expect((error as DataError).message).toMatch(/cannot read \/nonexistent\/data.jsonl: ENOENT/)
  })

  it("streams a file far longer than memory would like, one line at a time", async () => {
    const line = `${JSON.stringify({ text: "x".repeat(1000), label: "ham" })}\n`
    const path = await file(line.repeat(20_000))
    let count = 0
    for await (const record of TextRecords.read(path, { labels }))
      count += record.text.length === 1000 ? 1 : 0
    expect(count).toBe(20_000)
  })
})
