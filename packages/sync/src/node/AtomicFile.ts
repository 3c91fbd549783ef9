/**
 * Writing a file so that a reader (or a crash) sees the old bytes or the
 * new, never a mix: a temporary file beside it, flushed to disk, then
 * renamed over it.
 */
import { randomBytes } from "node:crypto"
import { mkdir, open, rename, rm } from "node:fs/promises"
import { dirname } from "node:path"

export interface Options {
  /** The file's modification time (default: when it is written). */
  readonly mtime?: Date | undefined
}

export const write = async (
  path: string,
  bytes: Uint8Array | string,
  options: Options = {},
): Promise<void> => {
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`
  try {
    const handle = await open(temporary, "w")
    try {
      await handle.writeFile(bytes)
      if (options.mtime !== undefined) await handle.utimes(options.mtime, options.mtime)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, path)
  } catch (e) {
    await rm(temporary, { force: true })
    throw e
  }
}
