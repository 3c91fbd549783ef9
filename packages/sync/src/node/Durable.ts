/**
 * Writes that survive a crash on a POSIX filesystem. A file's bytes are
 * flushed (fsync) before the rename that publishes its name, so the name
 * never points at data still in flight; the directory is flushed after a
 * rename that must outlive a power cut, since a name lives in its
 * directory's data, not the file's. Temporary files go to one directory
 * of their own, on the same filesystem (rename cannot cross one), so
 * recovery after a crash empties that directory and nothing else.
 */
import { randomBytes } from "node:crypto"
import { type FileHandle, open, rename, rm } from "node:fs/promises"
import { join } from "node:path"

/** A fresh name in `temporaryDirectory`; `label` says what it was for to whoever lists it. */
export const temporaryPath = (temporaryDirectory: string, label: string): string =>
  join(temporaryDirectory, `${label}.${randomBytes(6).toString("hex")}.tmp`)

/** Flushes a directory's entries (renames, creations, deletions in it) to disk. */
export const syncDirectory = async (path: string): Promise<void> => {
  const handle = await open(path, "r")
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Writes all of `bytes` at the handle's position (a write may take fewer bytes than asked). */
export const writeAll = async (handle: FileHandle, bytes: Uint8Array): Promise<void> => {
  let at = 0
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at)
    at += bytesWritten
  }
}

/**
 * Puts `bytes` at `target` whole or not at all: a temporary file, flushed,
 * renamed over `target`. With `syncDirectory` (`target`'s directory), the
 * rename is flushed too, for a name that must outlive a power cut.
 */
export const writeFile = async (
  target: string,
  bytes: Uint8Array | string,
  options: {
    readonly temporaryDirectory: string
    readonly label: string
    readonly syncDirectory?: string | undefined
  },
): Promise<void> => {
  const temporary = temporaryPath(options.temporaryDirectory, options.label)
  try {
    const handle = await open(temporary, "wx")
    try {
      await writeAll(handle, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, target)
  } catch (e) {
    await rm(temporary, { force: true })
    throw e
  }
  if (options.syncDirectory !== undefined) await syncDirectory(options.syncDirectory)
}
