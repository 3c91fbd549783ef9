/**
 * The labelled set: a dataset joined with a labelling cache, one JSONL line
 * per labelled message:
 *
 *   {"id", "text", "label"?: <ground truth>, "soft_labels": {"ham": p, "spam": q},
 *    "teacher": <teacher id>}
 *
 * The form GPU training elsewhere reads (a Hugging Face `datasets` JSON
 * file, a pandas `read_json(lines=True)`), and the form `distill train`
 * reads back. Streamed: memory holds the cache's index, not the texts.
 */
import { once } from "node:events"
import { createWriteStream } from "node:fs"
import { rename, rm } from "node:fs/promises"
import * as LabelJob from "../label/LabelJob.js"
import { DataError } from "./DataError.js"
import * as TextRecords from "./TextRecords.js"

export interface Summary {
  /** Lines written. */
  readonly written: number
  /** Records of the dataset the cache had no answer for. */
  readonly unlabelled: number
  /** Records whose id the cache knows but whose text differs from what the teacher was asked. */
  readonly changed: number
}

export interface Options {
  /** The dataset: JSONL of `{"id", "text", "label"?}`. */
  readonly data: string
  /** The labelling cache `LabelJob` wrote. */
  readonly cache: string
  readonly out: string
  /**
   * Whose answers to take, when the cache holds several teachers' (by
   * default the only teacher in it).
   */
  readonly teacher?: string | undefined
}

type Teacher = { readonly id: string; readonly labels: ReadonlyArray<string> }

/** The teacher whose answers the set takes, and its answers by cache key: one read of the cache. */
const answersOf = async (cache: string, wanted: string | undefined) => {
  const teachers = new Map<
    string,
    { readonly teacher: Teacher; readonly byKey: Map<string, LabelJob.Entry> }
  >()
  for await (const entry of LabelJob.read(cache)) {
    const name = `${entry.teacher} ${JSON.stringify(entry.labels)}`
    let answers = teachers.get(name)
    if (answers === undefined) {
      answers = { teacher: { id: entry.teacher, labels: entry.labels }, byKey: new Map() }
      teachers.set(name, answers)
    }
    answers.byKey.set(entry.key, entry)
  }
  const candidates = [...teachers.values()].filter(
    (a) => wanted === undefined || a.teacher.id === wanted,
  )
  if (candidates.length !== 1) {
    const held = [...teachers.values()].map((a) => a.teacher.id).join(", ") || "none"
    throw new DataError({
      path: cache,
      line: 0,
      message:
        candidates.length === 0
          ? `${cache} holds no answers${wanted === undefined ? "" : ` of teacher "${wanted}"`} (teachers in it: ${held})`
          : `${cache} holds answers of several teachers (${held}): say which one to take`,
    })
  }
  return candidates[0]!
}

/**
 * Joins `data` with the answers in `cache` by content (the cache key of
 * each record's text), so an edited text is never paired with the answer
 * to its old version. Writes `out` whole or not at all: a failed run leaves
 * any earlier file in place.
 */
export const write = async ({ data, cache, out, teacher: wanted }: Options): Promise<Summary> => {
  const { teacher, byKey } = await answersOf(cache, wanted)
  const knownIds = new Set<string>()
  for (const entry of byKey.values()) knownIds.add(entry.id)
  const partial = `${out}.partial-${process.pid}`
  const output = createWriteStream(partial)
  const failed = new Promise<never>((_, reject) =>
    output.once("error", (e) =>
      reject(new DataError({ path: out, line: 0, message: `cannot write ${out}: ${e.message}` })),
    ),
  )
  let written = 0
  let unlabelled = 0
  let changed = 0
  let line = 0
  const work = async () => {
    for await (const record of TextRecords.read(data)) {
      line++
      const id = record.id ?? String(line)
      const entry = byKey.get(LabelJob.keyOf(teacher, record.text))
      if (entry === undefined) {
        if (knownIds.has(id)) changed++
        else unlabelled++
        continue
      }
      const soft = Object.fromEntries(entry.labels.map((l, k) => [l, entry.probabilities[k]!]))
      const row = {
        id,
        text: record.text,
        ...(record.label ? { label: record.label } : {}),
        soft_labels: soft,
        teacher: entry.teacher,
      }
      if (!output.write(`${JSON.stringify(row)}\n`)) await once(output, "drain")
      written++
    }
    output.end()
    await once(output, "finish")
  }
  try {
    await Promise.race([work(), failed])
    await rename(partial, out).catch((e: Error) => {
      throw new DataError({ path: out, line: 0, message: `cannot write ${out}: ${e.message}` })
    })
  } catch (e) {
    output.destroy()
    await rm(partial, { force: true })
    throw e
  }
  return { written, unlabelled, changed }
}
