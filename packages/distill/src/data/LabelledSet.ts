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
import * as LabelJob from "../label/LabelJob.js"
import { DataError } from "./DataError.js"
import * as TextRecords from "./TextRecords.js"

export interface Summary {
  /** Lines written. */
  readonly written: number
  /** Records of the dataset the cache had no answer for. */
  readonly unlabelled: number
  /** Records whose text differs from what the teacher was asked (the cache key does not match). */
  readonly changed: number
}

export interface Options {
  /** The dataset: JSONL of `{"id", "text", "label"?}`. */
  readonly data: string
  /** The labelling cache `LabelJob` wrote. */
  readonly cache: string
  readonly out: string
}

export const write = async ({ data, cache, out }: Options): Promise<Summary> => {
  const byId = new Map<string, LabelJob.Entry>()
  for await (const entry of LabelJob.read(cache)) byId.set(entry.id, entry)
  const output = createWriteStream(out)
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
      const entry = byId.get(id)
      if (entry === undefined) {
        unlabelled++
        continue
      }
      if (LabelJob.keyOf({ id: entry.teacher, labels: entry.labels }, record.text) !== entry.key) {
        changed++
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
  await Promise.race([work(), failed])
  return { written, unlabelled, changed }
}
