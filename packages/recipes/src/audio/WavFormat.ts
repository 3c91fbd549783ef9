/**
 * A WAV `fmt ` chunk, read and checked: which sample encoding, how many
 * channels, what rate, how the bytes of one sample frame are laid out.
 * Everything the gate cannot decode correctly is refused here, with a message
 * that names the encoding and what to convert it to.
 */
import { isSupportedRate, SUPPORTED_RATES } from "./Audio.js"
import { wavError } from "./WavDecodeError.js"

/** How one sample is stored. */
export type Encoding = "pcm" | "float" | "alaw" | "mulaw"

export interface WavFormat {
  readonly encoding: Encoding
  /** Bytes per sample of one channel: 1, 2, 3, 4 or 8. */
  readonly bytesPerSample: number
  readonly channels: number
  readonly sampleRate: number
  /** Bytes per sample frame (one sample of every channel). */
  readonly blockAlign: number
  /** RIFX files store every number big-endian, samples included. */
  readonly bigEndian: boolean
}

/** A plain `fmt ` chunk's size; WAVE_FORMAT_EXTENSIBLE's is 40. */
export const FMT_SIZE = 16
export const FMT_EXTENSIBLE_SIZE = 40

const EXTENSIBLE = 0xfffe

/**
 * The last 14 bytes of every standard KSDATAFORMAT_SUBTYPE GUID
 * (xxxx0000-0000-0010-8000-00aa00389b71) as they are stored; the first two
 * bytes are the format tag. Other GUIDs (Ambisonic B-format, vendor formats)
 * mean something else and are refused.
 */
const SUBTYPE_TAIL = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]

/** The format tags the gate decodes, and the sample sizes each may have. */
const DECODED: Record<
  number,
  { readonly encoding: Encoding; readonly bits: ReadonlyArray<number> }
> = {
  1: { encoding: "pcm", bits: [8, 16, 24, 32] },
  3: { encoding: "float", bits: [32, 64] },
  6: { encoding: "alaw", bits: [8] },
  7: { encoding: "mulaw", bits: [8] },
}

/** Names of encodings seen in WAV files, so that a refusal says what the file is. */
const NAMES: Record<number, string> = {
  1: "PCM",
  2: "Microsoft ADPCM",
  3: "IEEE float",
  6: "A-law",
  7: "µ-law",
  17: "IMA ADPCM",
  34: "TrueSpeech",
  49: "GSM 6.10",
  64: "G.721 ADPCM",
  80: "MPEG audio",
  85: "MP3",
  100: "G.726 ADPCM",
  146: "AC-3 (S/PDIF)",
  255: "AAC",
  353: "WMA",
  354: "WMA Pro",
  355: "WMA Lossless",
  5648: "AAC (ADTS)",
  8192: "AC-3",
  8193: "DTS",
  26447: "Ogg Vorbis",
  26448: "Ogg Vorbis",
  26449: "Ogg Vorbis",
  28751: "Opus",
  61868: "FLAC",
}

const hex4 = (tag: number) => `0x${tag.toString(16).padStart(4, "0")}`

const CONVERT = "convert it to 16-bit PCM WAV (e.g. `sox in.wav -e signed-integer -b 16 out.wav`)"

const unsupported = (encoding: string, where: string) =>
  wavError("unsupported-format", `WAV encoding ${encoding} (${where}) is not supported; ${CONVERT}`)

const invalid = (what: string) =>
  wavError("invalid-header", `WAV header is invalid: ${what}; the file is corrupt`)

/** The error for a `fmt ` chunk of `size` bytes, too short to hold a format. */
export const tooShort = (size: number) =>
  invalid(`its fmt chunk is ${size} bytes, fewer than the ${FMT_SIZE} every WAV has`)

/** The 16 GUID bytes as a GUID string, for messages. */
const guidText = (guid: Uint8Array, view: DataView, at: number, littleEndian: boolean) => {
  const hex = (from: number, to: number) =>
    Array.from(guid.subarray(from, to), (b) => b.toString(16).padStart(2, "0")).join("")
  const data1 = view.getUint32(at, littleEndian).toString(16).padStart(8, "0")
  const data2 = view
    .getUint16(at + 4, littleEndian)
    .toString(16)
    .padStart(4, "0")
  const data3 = view
    .getUint16(at + 6, littleEndian)
    .toString(16)
    .padStart(4, "0")
  return `${data1}-${data2}-${data3}-${hex(8, 10)}-${hex(10, 16)}`
}

/**
 * Reads a `fmt ` chunk: `body` holds its first bytes (at most
 * FMT_EXTENSIBLE_SIZE), `size` is what its header declares. Throws a
 * `WavDecodeError` for anything that cannot be decoded exactly.
 */
export const parse = (body: Uint8Array, size: number, bigEndian: boolean): WavFormat => {
  if (size < FMT_SIZE || body.length < FMT_SIZE) throw tooShort(size)
  const littleEndian = !bigEndian
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  let tag = view.getUint16(0, littleEndian)
  const channels = view.getUint16(2, littleEndian)
  const sampleRate = view.getUint32(4, littleEndian)
  const blockAlign = view.getUint16(12, littleEndian)
  const bits = view.getUint16(14, littleEndian)

  let where = `format tag ${hex4(tag)}`
  if (tag === EXTENSIBLE) {
    if (size < FMT_EXTENSIBLE_SIZE || body.length < FMT_EXTENSIBLE_SIZE) {
      throw invalid(
        `its fmt chunk says WAVE_FORMAT_EXTENSIBLE but is ${size} bytes, not ${FMT_EXTENSIBLE_SIZE}`,
      )
    }
    // The subformat GUID's first two bytes are a format tag, in the file's byte order
    // (sox writes RIFX's that way); the rest must be the standard KSDATAFORMAT suffix.
    const guid = body.subarray(24, 40)
    if (SUBTYPE_TAIL.some((byte, i) => guid[i + 2] !== byte)) {
      throw unsupported(
        "unknown",
        `extensible subformat {${guidText(guid, view, 24, littleEndian)}}`,
      )
    }
    tag = view.getUint16(24, littleEndian)
    where = `extensible subformat ${hex4(tag)}`
  }

  const decoded = DECODED[tag]
  if (decoded === undefined) throw unsupported(NAMES[tag] ?? "unknown", where)
  if (!decoded.bits.includes(bits)) throw unsupported(`${bits}-bit ${NAMES[tag]}`, where)
  if (channels === 0) throw invalid("it says 0 channels")
  if (!isSupportedRate(sampleRate)) {
    throw wavError(
      "unsupported-rate",
      `WAV sample rate ${sampleRate} Hz is outside the supported ${SUPPORTED_RATES}; resample it (e.g. \`sox in.wav -r 16000 out.wav\`)`,
    )
  }
  const bytesPerSample = bits / 8
  // Checked rather than trusted: the decoder walks the data in steps of blockAlign.
  if (blockAlign !== channels * bytesPerSample) {
    throw invalid(
      `blockAlign is ${blockAlign} bytes, but ${channels} channel(s) of ${bits}-bit samples take ${channels * bytesPerSample}`,
    )
  }
  return { encoding: decoded.encoding, bytesPerSample, channels, sampleRate, blockAlign, bigEndian }
}
