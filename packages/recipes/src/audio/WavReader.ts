/**
 * A WAV file read as a stream: push its bytes in pieces of any size, split
 * anywhere (inside the header, inside a sample frame), and get back the mono
 * samples each piece completes. Between pieces it holds only a few header
 * bytes and at most one partial sample frame (under 64 KiB: blockAlign is a
 * 16-bit field), never the audio seen so far. Chunks before `data` (LIST,
 * bext, junk, ...) are skipped by counting, whatever size they claim.
 *
 * Containers: RIFF, RIFX (big endian) and RF64/BW64 (sizes over 4 GiB in a
 * `ds64` chunk). Sizes and offsets are plain numbers, exact up to 2^53 bytes.
 *
 * Length placeholders: a writer that cannot seek back (sox or arecord
 * writing to a pipe, ffmpeg streaming) leaves a placeholder where the sizes
 * go. A `data` size of 0, or a RIFF or `data` size of 0x7FFF0000 or more in
 * a RIFF/RIFX file (not RF64, whose real sizes are in `ds64`), therefore
 * means "length unknown": the audio runs to the end of the input, and a
 * short input is not reported as truncated. (A genuine RIFF file over 2 GiB
 * is read to its end the same way; write such files as RF64.)
 */

import { wavError } from "./WavDecodeError.js"
import * as WavFormat from "./WavFormat.js"
import { decoderFor, type FrameDecoder } from "./WavSamples.js"

/** The size fields writers leave when they cannot seek back: 0x7FFFF000 (sox), 0x7FFFFFFF (arecord), 0xFFFFFFFF (ffmpeg). */
const PLACEHOLDER_FROM = 0x7fff0000
/** A 32-bit size of 0xFFFFFFFF in RF64 means "see ds64". */
const SEE_DS64 = 0xffffffff
/** ds64: RIFF size, data size, sample count (64-bit each), table length (32-bit). */
const DS64_SIZE = 28
const DS64_TABLE_ENTRY = 12
/** At most this many ds64 table entries (sizes of other chunks over 4 GiB) are read. */
const DS64_TABLE_MAX = 16
/** The largest part of any chunk the reader keeps: ds64 with its table. */
const HEADER_MAX = DS64_SIZE + DS64_TABLE_MAX * DS64_TABLE_ENTRY

const EMPTY = new Float32Array(0)

type Phase =
  /** Collecting the 12-byte file header ("RIFF" size "WAVE"). */
  | "file-header"
  /** Collecting an 8-byte chunk header (id, size). */
  | "chunk-header"
  /** Collecting the part of a `fmt ` or `ds64` chunk that is read. */
  | "chunk-body"
  /** Counting past bytes that are not read. */
  | "skip"
  /** Decoding sample frames. */
  | "data"
  /** Past the end of the data chunk: the rest is ignored. */
  | "after-data"

/** Bytes as text, one character per byte (ids are four bytes, not UTF-8). */
const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes)

/** A four-character id quoted when printable, else as hex, for messages. */
const describeId = (id: string): string =>
  /^[\x20-\x7e]*$/.test(id)
    ? JSON.stringify(id)
    : `0x${Array.from(id, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("")}`

/** A 64-bit size as a plain number: exact up to 2^53, which no real file reaches. */
const uint64 = (view: DataView, at: number): number =>
  view.getUint32(at + 4, true) * 2 ** 32 + view.getUint32(at, true)

export class WavReader {
  private phase: Phase = "file-header"
  /** Header bytes being collected, and how many are wanted and present. */
  private readonly header = new Uint8Array(HEADER_MAX)
  private need = 12
  private have = 0
  /** Bytes still to skip (in the "skip" phase). */
  private skipLeft = 0

  private container: "RIFF" | "RIFX" | "RF64" = "RIFF"
  private riffSize = 0
  /** The chunk whose header was read last. */
  private chunkId = ""
  private chunkSize = 0
  /** RF64's real sizes: of `data`, and of other chunks by id. */
  private ds64: { readonly dataSize: number; readonly sizes: Map<string, number> } | undefined

  private fmt: WavFormat.WavFormat | undefined
  private decode: FrameDecoder | undefined
  /** Data bytes the header declares (Infinity when unknown) and bytes seen so far. */
  private dataDeclared = 0
  private dataSeen = 0
  /** The start of a sample frame split between pieces. */
  private partial = new Uint8Array(0)
  private partialLength = 0
  private framesOut = 0
  private bytesIn = 0
  private failure: Error | undefined

  /** The file's format, once its `fmt ` chunk has been read. */
  get format(): WavFormat.WavFormat | undefined {
    return this.fmt
  }

  /** The sample rate, or 0 until the `fmt ` chunk has been read. */
  get sampleRate(): number {
    return this.fmt?.sampleRate ?? 0
  }

  /** Mono samples decoded so far. */
  get samples(): number {
    return this.framesOut
  }

  /** Bytes of input kept between pieces (header bytes being collected, a partial frame). */
  get bytesHeld(): number {
    return this.have + this.partialLength
  }

  /**
   * The samples that `piece` completes (possibly none). The piece is not kept:
   * the caller may reuse its buffer. Throws `WavDecodeError`; after a failure
   * every call throws the same error.
   */
  push(piece: Uint8Array): Float32Array {
    if (this.failure !== undefined) throw this.failure
    try {
      this.bytesIn += piece.length
      let at = 0
      while (at < piece.length && this.phase !== "data" && this.phase !== "after-data") {
        at = this.readHeader(piece, at)
      }
      return this.phase === "data" ? this.readData(piece, at) : EMPTY
    } catch (e) {
      this.failure = e as Error
      throw e
    }
  }

  /** At the end of the input: throws `WavDecodeError` when it was not a complete WAV with audio. */
  end(): void {
    if (this.failure !== undefined) throw this.failure
    try {
      this.check()
    } catch (e) {
      this.failure = e as Error
      throw e
    }
  }

  private check(): void {
    if (this.phase !== "data" && this.phase !== "after-data") {
      throw wavError("not-wav", `not a WAV file: ${this.whereHeaderEnded()}`)
    }
    if (this.dataSeen < this.dataDeclared && this.dataDeclared !== Number.POSITIVE_INFINITY) {
      throw wavError(
        "truncated",
        `WAV is truncated: the header promises ${this.dataDeclared} bytes of audio but ${this.dataSeen} are present`,
      )
    }
    if (this.framesOut === 0) throw wavError("empty", "WAV holds no audio (zero samples)")
  }

  private whereHeaderEnded(): string {
    if (this.bytesIn === 0) return "the input is empty"
    if (this.phase === "file-header") return `the input ends after ${this.bytesIn} bytes`
    const chunk = `the ${describeId(this.chunkId)} chunk`
    const declared = `${this.chunkSize} bytes declared`
    if (this.phase === "chunk-header") {
      return this.fmt === undefined
        ? `the input ends after ${this.bytesIn} bytes, before any fmt chunk`
        : `the input ends after ${this.bytesIn} bytes, before any data chunk`
    }
    return `the input ends after ${this.bytesIn} bytes, inside ${chunk} (${declared}), before any audio`
  }

  /** Collects header bytes from `piece[at..]`; returns where it stopped. */
  private collect(piece: Uint8Array, at: number): number {
    const n = Math.min(this.need - this.have, piece.length - at)
    this.header.set(piece.subarray(at, at + n), this.have)
    this.have += n
    return at + n
  }

  /** Goes on with the header from `piece[at..]`; returns where it stopped. */
  private readHeader(piece: Uint8Array, at: number): number {
    if (this.phase === "skip") {
      const n = Math.min(this.skipLeft, piece.length - at)
      this.skipLeft -= n
      if (this.skipLeft === 0) this.expect("chunk-header", 8)
      return at + n
    }
    const next = this.collect(piece, at)
    if (this.have < this.need) return next
    const bytes = this.header.subarray(0, this.need)
    this.have = 0
    if (this.phase === "file-header") this.onFileHeader(bytes)
    else if (this.phase === "chunk-header") this.onChunkHeader(bytes)
    else this.onChunkBody(bytes)
    return next
  }

  private expect(phase: Phase, bytes: number) {
    this.phase = phase
    this.need = bytes
    this.have = 0
  }

  private skip(bytes: number) {
    if (bytes === 0) this.expect("chunk-header", 8)
    else {
      this.phase = "skip"
      this.skipLeft = bytes
    }
  }

  private get littleEndian(): boolean {
    return this.container !== "RIFX"
  }

  private onFileHeader(bytes: Uint8Array) {
    const id = ascii(bytes.subarray(0, 4))
    if (id === "RIFF" || id === "RIFX") this.container = id
    else if (id === "RF64" || id === "BW64") this.container = "RF64"
    else {
      throw wavError(
        "not-wav",
        `not a WAV file: it starts with ${describeId(id)}, not "RIFF", "RIFX" or "RF64"`,
      )
    }
    const form = ascii(bytes.subarray(8, 12))
    if (form !== "WAVE") {
      throw wavError(
        "not-wav",
        `not a WAV file: a ${id} file of type ${describeId(form)}, not "WAVE"`,
      )
    }
    this.riffSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, this.littleEndian)
    this.expect("chunk-header", 8)
  }

  private onChunkHeader(bytes: Uint8Array) {
    this.chunkId = ascii(bytes.subarray(0, 4))
    const size32 = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, this.littleEndian)
    const rf64 = this.container === "RF64"
    const size = rf64 && size32 === SEE_DS64 ? this.ds64?.sizes.get(this.chunkId) : undefined
    this.chunkSize = size ?? size32
    if (this.chunkId === "data") return this.onData(size32)
    if (this.chunkId === "fmt " && this.fmt === undefined) {
      if (this.chunkSize < WavFormat.FMT_SIZE) throw WavFormat.tooShort(this.chunkSize)
      return this.expect("chunk-body", Math.min(this.chunkSize, WavFormat.FMT_EXTENSIBLE_SIZE))
    }
    if (this.chunkId === "ds64" && rf64 && this.ds64 === undefined) {
      if (this.chunkSize < DS64_SIZE) {
        throw wavError(
          "invalid-header",
          `WAV header is invalid: its ds64 chunk is ${this.chunkSize} bytes, fewer than ${DS64_SIZE}; the file is corrupt`,
        )
      }
      return this.expect("chunk-body", Math.min(this.chunkSize, HEADER_MAX))
    }
    // Odd-sized chunks are followed by one pad byte.
    this.skip(this.chunkSize + (this.chunkSize % 2))
  }

  private onChunkBody(body: Uint8Array) {
    if (this.chunkId === "fmt ") {
      this.fmt = WavFormat.parse(body, this.chunkSize, !this.littleEndian)
      this.decode = decoderFor(this.fmt)
      this.partial = new Uint8Array(this.fmt.blockAlign)
    } else {
      const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
      const sizes = new Map<string, number>()
      const entries = Math.min(
        view.getUint32(24, true),
        (body.length - DS64_SIZE) / DS64_TABLE_ENTRY,
      )
      for (let i = 0; i < Math.floor(entries); i++) {
        const at = DS64_SIZE + i * DS64_TABLE_ENTRY
        sizes.set(ascii(body.subarray(at, at + 4)), uint64(view, at + 4))
      }
      this.ds64 = { dataSize: uint64(view, 8), sizes }
    }
    const rest = this.chunkSize - body.length
    this.skip(rest + (this.chunkSize % 2))
  }

  private onData(size32: number) {
    if (this.fmt === undefined) {
      throw wavError(
        "invalid-header",
        "WAV header is invalid: its data chunk comes before any fmt chunk; rewrite the file (e.g. `sox in.wav out.wav`)",
      )
    }
    let size = size32
    if (this.container === "RF64" && size32 === SEE_DS64) {
      if (this.ds64 === undefined) {
        throw wavError(
          "invalid-header",
          "WAV header is invalid: an RF64 data chunk refers to a ds64 chunk that is missing; the file is corrupt",
        )
      }
      size = this.ds64.dataSize
    }
    const placeholder =
      this.container !== "RF64" && (size >= PLACEHOLDER_FROM || this.riffSize >= PLACEHOLDER_FROM)
    this.dataDeclared = size === 0 || placeholder ? Number.POSITIVE_INFINITY : size
    this.phase = "data"
  }

  /** Decodes the frames that `piece[at..]` completes. */
  private readData(piece: Uint8Array, at: number): Float32Array {
    const available = Math.min(piece.length - at, this.dataDeclared - this.dataSeen)
    this.dataSeen += available
    if (this.dataSeen === this.dataDeclared) this.phase = "after-data"
    const block = this.fmt!.blockAlign
    const frames = Math.floor((this.partialLength + available) / block)
    if (frames === 0) {
      this.partial.set(piece.subarray(at, at + available), this.partialLength)
      this.partialLength += available
      return EMPTY
    }
    const out = new Float32Array(frames)
    let from = at
    let done = 0
    if (this.partialLength > 0) {
      // Completes the frame split between the previous piece and this one.
      const fill = block - this.partialLength
      this.partial.set(piece.subarray(from, from + fill), this.partialLength)
      this.partialLength = 0
      from += fill
      this.decodeFrames(new DataView(this.partial.buffer), 0, 1, out, 0)
      done = 1
    }
    const view = new DataView(piece.buffer, piece.byteOffset, piece.byteLength)
    this.decodeFrames(view, from, frames - done, out, done)
    from += (frames - done) * block
    // The start of the next frame waits, copied: the caller may reuse the piece's buffer.
    const rest = at + available - from
    this.partial.set(piece.subarray(from, from + rest))
    this.partialLength = rest
    this.framesOut += frames
    return out
  }

  private decodeFrames(
    view: DataView,
    offset: number,
    frames: number,
    out: Float32Array,
    to: number,
  ) {
    const bad = this.decode!(view, offset, frames, out, to)
    if (bad >= 0) {
      throw wavError(
        "invalid-samples",
        `WAV sample ${this.framesOut + to + bad} is ${out[to + bad]} (NaN or infinite); the file is corrupt`,
      )
    }
  }
}
