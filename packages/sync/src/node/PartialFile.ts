/**
 * A partial chunk (the bytes of a cut download, resumed with a Range
 * request) as a file of frames: per append, an 8-byte header (the payload's
 * length and its crc32, big-endian) and the payload, flushed before the
 * append returns. Reading takes the frames up to the first one that is
 * short or fails its checksum, so an append cut by a crash (or by a full
 * disk) is lost as a whole, never handed back as garbled or half-written
 * bytes; the next append cuts such a tail off before writing. Payloads are
 * never empty, so a run of zeros (what some filesystems leave after a power
 * cut) cannot pass for a frame.
 */
import { open, readFile } from "node:fs/promises"
import { crc32 } from "node:zlib"
import { concat } from "../internal/concat.js"
import * as Durable from "./Durable.js"
import { isMissing } from "./FsFailure.js"

const HEADER = 8

/** The intact payloads of a partial file's bytes, and where the intact frames end. */
export const scan = (
  bytes: Uint8Array,
): { readonly payloads: ReadonlyArray<Uint8Array>; readonly intactEnd: number } => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const payloads: Array<Uint8Array> = []
  let at = 0
  while (at + HEADER <= bytes.length) {
    const length = view.getUint32(at)
    const sum = view.getUint32(at + 4)
    const end = at + HEADER + length
    if (length === 0 || end > bytes.length) break
    const payload = bytes.subarray(at + HEADER, end)
    if (crc32(payload) !== sum) break
    payloads.push(payload)
    at = end
  }
  return { payloads, intactEnd: at }
}

const bytesOf = (path: string) =>
  readFile(path).catch((e: unknown) => (isMissing(e) ? undefined : Promise.reject(e)))

/** The bytes appended so far, or undefined when there is no partial (or nothing intact in it). */
export const read = async (path: string): Promise<Uint8Array | undefined> => {
  const bytes = await bytesOf(path)
  if (bytes === undefined) return undefined
  const { payloads } = scan(bytes)
  return payloads.length === 0 ? undefined : concat(payloads)
}

/** Appends `bytes` (not empty) as one frame, flushed; a torn tail is cut off first. */
export const append = async (path: string, bytes: Uint8Array): Promise<void> => {
  const existing = await bytesOf(path)
  const intactEnd = existing === undefined ? 0 : scan(existing).intactEnd
  const header = new Uint8Array(HEADER)
  const view = new DataView(header.buffer)
  view.setUint32(0, bytes.length)
  view.setUint32(4, crc32(bytes))
  // The file's name need not outlive a power cut: losing it loses progress, not correctness.
  const handle = await open(path, "a")
  try {
    if (existing !== undefined && intactEnd < existing.length) await handle.truncate(intactEnd)
    try {
      // One call for the frame, so a kill cannot fall between header and payload.
      const { bytesWritten } = await handle.writev([header, bytes])
      if (bytesWritten < HEADER) {
        await Durable.writeAll(handle, header.subarray(bytesWritten))
        await Durable.writeAll(handle, bytes)
      } else if (bytesWritten < HEADER + bytes.length) {
        await Durable.writeAll(handle, bytes.subarray(bytesWritten - HEADER))
      }
      await handle.datasync()
    } catch (e) {
      // Leave no torn frame behind when the process lives on (a full disk);
      // if this fails too, the next append or read skips the frame anyway.
      await handle.truncate(intactEnd).catch(() => {})
      throw e
    }
  } finally {
    await handle.close()
  }
}
