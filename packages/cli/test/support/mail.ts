/**
 * Real mail for the distill tests: the SpamAssassin `-1` subsets through
 * `SpamAssassin.load` (which never opens the `-2` subsets), written as the
 * JSONL the distill commands read. The committed student was trained on the
 * "train" split; the "validation" split is what it has not learnt from.
 */
import { writeFile } from "node:fs/promises"
import { SpamAssassin } from "@edgeline/distill"

const splits = new Map<SpamAssassin.Split, Promise<ReadonlyArray<SpamAssassin.Message>>>()

export const messages = (
  split: SpamAssassin.Split,
): Promise<ReadonlyArray<SpamAssassin.Message>> => {
  let loaded = splits.get(split)
  if (loaded === undefined) {
    loaded = SpamAssassin.load(split)
    splits.set(split, loaded)
  }
  return loaded
}

/** `ham` ham and `spam` spam messages of a split, interleaved (every kth of each, for variety). */
export const mix = async (
  split: SpamAssassin.Split,
  counts: { readonly ham: number; readonly spam: number },
): Promise<Array<SpamAssassin.Message>> => {
  const all = await messages(split)
  const pick = (label: SpamAssassin.Label, n: number) => {
    const of = all.filter((m) => m.label === label)
    const step = Math.max(1, Math.floor(of.length / n))
    return of.filter((_, k) => k % step === 0).slice(0, n)
  }
  const ham = pick("ham", counts.ham)
  const spam = pick("spam", counts.spam)
  const out: Array<SpamAssassin.Message> = []
  for (let k = 0; k < Math.max(ham.length, spam.length); k++) {
    if (k < ham.length) out.push(ham[k]!)
    if (k < spam.length) out.push(spam[k]!)
  }
  return out
}

/** Writes messages as JSONL lines `{"id", "text", "label"}`. */
export const writeJsonl = (
  path: string,
  rows: ReadonlyArray<{ readonly id?: string; readonly text: string; readonly label?: string }>,
): Promise<void> => writeFile(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(""))

/** The lines of a JSONL file, parsed. */
export const jsonl = (text: string): Array<Record<string, any>> =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line))
