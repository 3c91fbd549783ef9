/**
 * Text datasets as JSONL, one message per line:
 * `{"id"?, "text", "label"?, "soft_labels"?: {"<label>": p, ...}}` (other
 * fields are ignored). `label` is the ground truth; `soft_labels` are a
 * teacher's probabilities, as `distill export-jsonl` writes them. Read as a stream, so a file of any length
 * costs the memory of one line; a bad line is a {@link DataError} naming
 * the file, the line and what is wrong.
 */
import { createReadStream } from "node:fs"
import { createInterface } from "node:readline"
import { DataError } from "./DataError.js"

export interface TextRecord {
  readonly id?: string
  readonly text: string
  readonly label?: string
  /** A teacher's probability per label. */
  readonly softLabels?: Readonly<Record<string, number>>
}

export interface ReadOptions {
  /** Every line must carry a label from this list. */
  readonly labels?: ReadonlyArray<string>
  readonly requireLabel?: boolean
}

/** How far soft labels may sum from 1 (rounded figures written by other tools). */
const SOFT_LABEL_TOLERANCE = 0.01

/** Checks one parsed line; returns the record or the problem. */
export const check = (value: unknown, options: ReadOptions = {}): TextRecord | string => {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "not a JSON object"
  const { id, text, label, soft_labels: soft } = value as Record<string, unknown>
  if (typeof text !== "string")
    return `"text" must be a string, got ${text === undefined ? "nothing" : typeof text}`
  if (id !== undefined && typeof id !== "string" && typeof id !== "number")
    return `"id" must be a string or a number`
  if (label === undefined) {
    if (options.requireLabel)
      return `no "label"${options.labels ? `: one of ${options.labels.map((l) => `"${l}"`).join(", ")}` : ""}`
  } else if (
    typeof label !== "string" ||
    (options.labels !== undefined && !options.labels.includes(label))
  ) {
    return `"label" must be ${options.labels ? `one of ${options.labels.map((l) => `"${l}"`).join(", ")}` : "a string"}, got ${JSON.stringify(label)}`
  }
  if (soft !== undefined) {
    if (typeof soft !== "object" || soft === null || Array.isArray(soft))
      return `"soft_labels" must be an object of probabilities by label`
    for (const [name, p] of Object.entries(soft)) {
      if (typeof p !== "number" || !(p >= 0 && p <= 1))
        return `"soft_labels"."${name}" must be a probability from 0 to 1, got ${JSON.stringify(p)}`
      if (options.labels !== undefined && !options.labels.includes(name))
        return `"soft_labels" has "${name}", which is not one of the labels`
    }
    if (options.labels !== undefined) {
      // A missing label would silently become 0, and the rest be rescaled to 1.
      const missing = options.labels.filter((l) => !Object.hasOwn(soft, l))
      if (missing.length > 0)
        return `"soft_labels" needs a probability for every label: "${missing.join('", "')}" missing`
      const sum = Object.values(soft).reduce((a: number, p) => a + (p as number), 0)
      if (Math.abs(sum - 1) > SOFT_LABEL_TOLERANCE) return `"soft_labels" must sum to 1, got ${sum}`
    }
  }
  return {
    text,
    ...(soft === undefined ? {} : { softLabels: soft as Record<string, number> }),
    ...(id === undefined ? {} : { id: String(id) }),
    ...(typeof label === "string" ? { label } : {}),
  }
}

/** The records of a JSONL file, one at a time; blank lines are skipped. */
export async function* read(path: string, options: ReadOptions = {}): AsyncGenerator<TextRecord> {
  const stream = createReadStream(path, { encoding: "utf8" })
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve())
    stream.once("error", reject)
  })
  try {
    await opened
  } catch (e) {
    throw new DataError({
      path,
      line: 0,
      message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    })
  }
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
  let line = 0
  try {
    for await (const raw of lines) {
      line++
      if (raw.trim() === "") continue
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch {
        throw new DataError({ path, line, message: `${path}:${line}: not valid JSON` })
      }
      const record = check(value, options)
      if (typeof record === "string")
        throw new DataError({ path, line, message: `${path}:${line}: ${record}` })
      yield record
    }
  } finally {
    lines.close()
    stream.destroy()
  }
}

/** Soft labels as a vector in the order of `labels`, renormalised; undefined when the record has none. */
export const softVector = (
  record: TextRecord,
  labels: ReadonlyArray<string>,
): Array<number> | undefined => {
  if (record.softLabels === undefined) return undefined
  const raw = labels.map((l) => record.softLabels![l] ?? 0)
  const sum = raw.reduce((a, b) => a + b, 0)
  return sum > 0 ? raw.map((p) => p / sum) : undefined
}

/** All records of a file (for the training and validation sets, which fit in memory by design). */
export const readAll = async (
  path: string,
  options: ReadOptions = {},
): Promise<Array<TextRecord>> => {
  const out: Array<TextRecord> = []
  for await (const record of read(path, options)) out.push(record)
  return out
}
