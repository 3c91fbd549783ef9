/**
 * A failed filesystem call as a `StoreError` an operator can act on: what
 * the store was doing, which file, and what the errno means for a device
 * ("the disk is full", not "ENOSPC: no space left on device, write").
 */
import { StoreError } from "../Errors.js"

/** What each errno means on a device, and what to do about it. */
const MEANINGS: Readonly<Record<string, string>> = {
  ENOSPC: "the disk is full: free space on it, then retry",
  EDQUOT: "the disk quota is used up: free space or raise the quota, then retry",
  EFBIG: "the file is larger than the system allows (ulimit -f): raise the limit",
  EACCES:
    "permission denied: give the user this process runs as read and write access to the store directory",
  EPERM:
    "the operation is not permitted: check the store directory's owner, mode and attributes (chattr)",
  EROFS: "the filesystem is read-only: put the store on a writable filesystem",
  ENOTDIR: "a part of the path is a file, not a directory: remove it or choose another directory",
  EISDIR: "a directory stands where the store keeps a file: remove it",
  EEXIST: "something already exists at that path: remove it",
  EMFILE: "the process has too many open files: raise its limit (ulimit -n)",
  ENFILE: "the system has too many open files: close some, or raise fs.file-max",
  EIO: "an input/output error: the disk may be failing",
  ENAMETOOLONG: "the path is too long: choose a shorter store directory",
  ELOOP: "too many symbolic links in the path: point the store at a real directory",
  ENOENT: "a file or directory the store made has gone: did something else delete it?",
}

const errnoOf = (e: unknown) =>
  typeof e === "object" && e !== null ? (e as NodeJS.ErrnoException) : undefined

/**
 * `file store <directory>: could not <what>: <meaning> (<code> from <syscall> <path>)`.
 * A `StoreError` thrown on purpose (a refusal) is returned as it is.
 */
export const failure = (directory: string, what: string, e: unknown): StoreError => {
  if (e instanceof StoreError) return e
  const errno = errnoOf(e)
  const code = typeof errno?.code === "string" ? errno.code : undefined
  const where = [errno?.syscall, errno?.path].filter((part) => typeof part === "string").join(" ")
  const meaning =
    (code !== undefined ? MEANINGS[code] : undefined) ??
    (e instanceof Error ? e.message : String(e))
  const detail = code === undefined ? "" : ` (${code}${where === "" ? "" : ` from ${where}`})`
  return new StoreError({
    message: `file store ${directory}: could not ${what}: ${meaning}${detail}`,
  })
}

/** A refusal of bad input, before the disk is touched. */
export const refusal = (directory: string, message: string): StoreError =>
  new StoreError({ message: `file store ${directory}: ${message}` })

export const isMissing = (e: unknown): boolean => errnoOf(e)?.code === "ENOENT"
