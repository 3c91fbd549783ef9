/**
 * Writing a file so that a reader (or a crash) sees the old bytes or the
 * new, never a mix: a temporary file beside it, flushed to disk, then
 * renamed over it.
 */
import { randomBytes } from "node:crypto"
import { mkdir, open, rename, rm } from "node:fs/promises"
import { dirname } from "node:path"

export const write = async (path: string, bytes: Uint8Array | string): Promise<void> => {
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`
  try {
    const handle = await open(temporary, "w")
    try {
      await handle.writeFile(bytes)
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
