/**
 * A dataset file checked before any work: the distill commands read JSONL
 * (`{"id"?, "text", "label"?, "soft_labels"?}` per line, as
 * `@edgeline/distill`'s `TextRecords` does) and refuse a bad file at once,
 * with one line naming the file, the line and what to fix, rather than
 * after a paid labelling run or a training run. Stricter than
 * `TextRecords`: a text must not be empty, and where asked, every line needs
 * a label (or soft labels), and ids must be unique.
 */
import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import { createInterface } from "node:readline"
import { TextRecords } from "@edgeline/distill"
import { InputFileError } from "./UsageError.js"

export interface Rules {
  /** The labels a `label` or a `soft_labels` key may name; any when undefined. */
  readonly labels: ReadonlyArray<string> | undefined
  /** "label": every line needs `label` (the truth); "target": `label` or `soft_labels`; "none": neither. */
  readonly needs: "label" | "target" | "none"
  /** Refuse an `id` seen before (ids join a dataset with its labelling cache). */
  readonly uniqueIds?: boolean | undefined
  /** The option that named the file, for messages: e.g. "--data". */
  readonly option: string
}

const quoted = (labels: ReadonlyArray<string> | undefined) =>
  labels === undefined ? `"<label>"` : labels.map((l) => `"${l}"`).join(" or ")

/** A line as the rules want it, for the hint after a problem. */
const example = (rules: Rules) =>
  rules.needs === "none"
    ? `{"text": "<the message>"}`
    : `{"text": "<the message>", "label": ${quoted(rules.labels)}}`

/** Checks that `path` is a readable file (not a directory); the problem as an `InputFileError`. */
export const checkFile = async (path: string, option: string, what = "JSONL file") => {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new InputFileError(
      e.code === "ENOENT"
        ? `${path}: no such file (${option})`
        : `${path}: cannot read (${e.code ?? e.message})`,
    )
  })
  if (info.isDirectory()) throw new InputFileError(`${path}: is a directory, not a ${what}`)
}

/**
 * Reads the whole file, checking every line; calls `each` with each record
 * and its position among the records (from 1, blank lines not counted: the
 * id `LabelledSet` and the label command give a record without one).
 * Resolves with the number of records.
 */
export const check = async (
  path: string,
  rules: Rules,
  each?: (record: TextRecords.TextRecord, position: number) => void,
): Promise<number> => {
  await checkFile(path, rules.option)
  const fail = (line: number, problem: string): never => {
    throw new InputFileError(`${path}:${line}: ${problem}`)
  }
  const ids = new Map<string, number>()
  const stream = createReadStream(path, { encoding: "utf8" })
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  let records = 0
  try {
    for await (const raw of lines) {
      line++
      if (raw.trim() === "") continue
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch {
        fail(line, `not valid JSON; each line is one JSON object, e.g. ${example(rules)}`)
      }
      const record = TextRecords.check(value, {
        ...(rules.labels === undefined ? {} : { labels: rules.labels }),
        requireLabel: rules.needs === "label",
      })
      if (typeof record === "string") {
        fail(
          line,
          `${record}${/not a JSON object|"text"/.test(record) ? `; e.g. ${example(rules)}` : ""}`,
        )
        continue
      }
      if (record.text.trim() === "") fail(line, `"text" is empty; every line needs its message`)
      if (
        rules.needs === "target" &&
        record.label === undefined &&
        record.softLabels === undefined
      ) {
        fail(line, `no "label" or "soft_labels" to learn from; e.g. ${example(rules)}`)
      }
      if (record.softLabels !== undefined) {
        const sum = Object.values(record.softLabels).reduce((a, b) => a + b, 0)
        if (!(sum > 0)) fail(line, `"soft_labels" are all 0`)
      }
      records++
      if (rules.uniqueIds) {
        const id = record.id ?? String(records)
        const first = ids.get(id)
        if (first !== undefined) {
          fail(
            line,
            `"id" ${JSON.stringify(id)} again (first on line ${first}); ids must be unique`,
          )
        }
        ids.set(id, line)
      }
      each?.(record, records)
    }
  } catch (e) {
    if (e instanceof InputFileError) throw e
    throw new InputFileError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`)
  } finally {
    lines.close()
    stream.destroy()
  }
  if (records === 0) throw new InputFileError(`${path}: no messages (the file is empty)`)
  return records
}
