/**
 * The kept speech written to a WAV file as it comes, so memory does not grow
 * with the recording: a placeholder header, then each segment's PCM16, then
 * the real sizes patched in. It goes to a temporary file beside the target,
 * renamed into place only when complete: a failed run never leaves a partial
 * or corrupt `--out` file, and never clobbers an existing one.
 */
import { type FileHandle, open as openFile, rename, stat, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { VoiceGate, WavEncode } from "@edgeline/recipes"
import { fileError, OutputError } from "./Output.js"

export interface SpeechFile {
  /** Appends 16 kHz PCM16 samples. */
  append(speech: Int16Array): Promise<void>
  /** Writes the final header and moves the file into place. */
  commit(): Promise<void>
  /** Removes the temporary file. */
  discard(): Promise<void>
}

const headerFor = (dataBytes: number): Uint8Array =>
  WavEncode.header({
    sampleRate: VoiceGate.SAMPLE_RATE,
    channels: 1,
    bitsPerSample: 16,
    dataBytes,
  })

/** Opens the temporary file now, so a bad `--out` fails before any work. */
export const open = async (path: string): Promise<SpeechFile> => {
  const existing = await stat(path).catch(() => undefined)
  // Checked now: the rename at the end would fail only after all the work.
  if (existing?.isDirectory()) throw new OutputError(`cannot write ${path}: it is a directory`)
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`)
  let handle: FileHandle
  try {
    handle = await openFile(partial, "wx")
    await handle.write(headerFor(0))
  } catch (e) {
    throw fileError(path, e)
  }
  let dataBytes = 0
  const failed = (e: unknown) => fileError(path, e)
  return {
    append: async (speech) => {
      if (speech.length === 0) return
      if (dataBytes + speech.byteLength > WavEncode.MAX_DATA_BYTES) {
        throw new OutputError(`cannot write ${path}: over 4 GiB of speech does not fit a WAV file`)
      }
      // WAV is little-endian, as typed arrays are on every platform Node ships for.
      await handle
        .write(new Uint8Array(speech.buffer, speech.byteOffset, speech.byteLength))
        .catch((e: unknown) => Promise.reject(failed(e)))
      dataBytes += speech.byteLength
    },
    commit: async () => {
      try {
        await handle.write(headerFor(dataBytes), 0, undefined, 0)
        await handle.close()
        await rename(partial, path)
      } catch (e) {
        await unlink(partial).catch(() => undefined)
        throw failed(e)
      }
    },
    discard: async () => {
      await handle.close().catch(() => undefined)
      await unlink(partial).catch(() => undefined)
    },
  }
}
