/**
 * The labelled set joins a dataset with a labelling cache by content: ids
 * that moved, texts that changed and caches with several teachers, and a
 * failed write that leaves the earlier file whole.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { DataError, LabelJob, LabelledSet, Teacher } from "../src/index.js"

const jsonl = (rows: ReadonlyArray<unknown>) => rows.map((r) => `${JSON.stringify(r)}\n`).join("")

/** A teacher whose spam probability is read off the text: "spam 0.8" → 0.8. */
const reader = (id: string) =>
  Teacher.make({
    id,
    labels: ["ham", "spam"],
    label: async (text) => {
      const p = Number(text.split(" ")[1])
      return { probabilities: [1 - p, p], source: "model", usage: Teacher.noUsage }
    },
  })

const setUp = async () => {
  const dir = await mkdtemp(join(tmpdir(), "distill-set-"))
  const cache = join(dir, "labels.jsonl")
  await LabelJob.runPromise({
    teacher: reader("reader"),
    items: [
      { id: "a", text: "spam 0.9" },
      { id: "b", text: "spam 0.2" },
      { id: "c", text: "spam 0.6" },
    ],
    cache,
  })
  return { dir, cache }
}

const rows = async (path: string) =>
  (await readFile(path, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))

describe("LabelledSet.write", () => {
  it("pairs each text with its own answer even when the ids moved, and counts changed texts", async () => {
    const { dir, cache } = await setUp()
    const data = join(dir, "data.jsonl")
    // a and b swapped ids; c's text changed; d was never asked.
    await writeFile(
      data,
      jsonl([
        { id: "a", text: "spam 0.2" },
        { id: "b", text: "spam 0.9", label: "spam" },
        { id: "c", text: "spam 0.7" },
        { id: "d", text: "spam 0.1" },
      ]),
    )
    const out = join(dir, "set.jsonl")
    expect(await LabelledSet.write({ data, cache, out })).toEqual({
      written: 2,
      unlabelled: 1,
      changed: 1,
    })
    const written = await rows(out)
    expect(written.map((r) => [r.id, r.soft_labels.spam])).toEqual([
      ["a", 0.2],
      ["b", 0.9],
    ])
    expect(written[1]).toEqual({
      id: "b",
      text: "spam 0.9",
      label: "spam",
      soft_labels: { ham: 1 - 0.9, spam: 0.9 },
      teacher: "reader",
    })
  })

  it("asks which teacher when the cache holds several, and takes the one named", async () => {
    const { dir, cache } = await setUp()
    await LabelJob.runPromise({
      teacher: reader("other"),
      items: [{ id: "a", text: "spam 0.9" }],
      cache,
    })
    const data = join(dir, "data.jsonl")
    await writeFile(data, jsonl([{ id: "a", text: "spam 0.9" }]))
    const out = join(dir, "set.jsonl")
    const error = await LabelledSet.write({ data, cache, out }).catch((e) => e)
    expect(error).toBeInstanceOf(DataError)
    expect(error.message).toMatch(/several teachers \(reader, other\)/)
    expect(await LabelledSet.write({ data, cache, out, teacher: "other" })).toMatchObject({
      written: 1,
    })
    expect((await rows(out))[0].teacher).toBe("other")
    const none = await LabelledSet.write({ data, cache, out, teacher: "nobody" }).catch((e) => e)
    expect(none.message).toMatch(/no answers of teacher "nobody" \(teachers in it: reader, other\)/)
  })

  it("a dataset that fails half-way leaves the earlier file as it was, and no partial file", async () => {
    const { dir, cache } = await setUp()
    const out = join(dir, "set.jsonl")
    await writeFile(out, "the earlier set\n")
    const data = join(dir, "data.jsonl")
    await writeFile(data, `${jsonl([{ id: "a", text: "spam 0.9" }])}{"id": "b", "text":\n`)
    const error = await LabelledSet.write({ data, cache, out }).catch((e) => e)
    expect(error).toBeInstanceOf(DataError)
    expect(error.line).toBe(2)
    expect(await readFile(out, "utf8")).toBe("the earlier set\n")
    expect((await readdir(dir)).sort()).toEqual(["data.jsonl", "labels.jsonl", "set.jsonl"])
  })
})
