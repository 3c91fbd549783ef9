/**
 * Looking at a file store's directory from outside, for the tests that kill
 * a process using it: what a kill left before recovery (temporary files, a
 * torn journal line, torn partial appends), and whether every file under a
 * content address is whole.
 */
import { createHash } from "node:crypto"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import * as PartialFile from "../../src/node/PartialFile.js"

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Every file under `dir`, relative, sorted. */
export const files = async (dir: string): Promise<Array<string>> =>
  (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()

export interface Leftovers {
  readonly temporaryFiles: number
  /** The journal ends inside a line: a commit was being written. */
  readonly tornJournal: boolean
  /** Partial chunks whose last append is incomplete. */
  readonly tornPartials: number
}

/** What a crash left in the store at `dir`; read before anything opens it (opening recovers). */
export const leftovers = async (dir: string): Promise<Leftovers> => {
  const temporaryFiles = (await files(join(dir, "tmp"))).length
  const journal = await readFile(join(dir, "state.journal")).catch(() => Buffer.alloc(0))
  const tornJournal = journal.length > 0 && journal[journal.length - 1] !== 0x0a
  let tornPartials = 0
  for (const file of await files(join(dir, "partials"))) {
    const bytes = await readFile(join(dir, "partials", file))
    if (PartialFile.scan(bytes).intactEnd < bytes.length) tornPartials++
  }
  return { temporaryFiles, tornJournal, tornPartials }
}

/** Files under chunks/ and models/ whose bytes do not hash to their name: [] in a sound store. */
export const misnamed = async (dir: string): Promise<Array<string>> => {
  const wrong: Array<string> = []
  for (const file of await files(join(dir, "chunks"))) {
    if (sha(await readFile(join(dir, "chunks", file))) !== file.slice(3)) {
      wrong.push(`chunks/${file}`)
    }
  }
  for (const file of await files(join(dir, "models"))) {
    if (sha(await readFile(join(dir, "models", file))) !== file) wrong.push(`models/${file}`)
  }
  return wrong
}
