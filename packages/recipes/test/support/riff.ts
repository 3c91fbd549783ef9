/**
 * WAV files built and inspected byte by byte, independently of the decoder
 * under test: for headers no writer would make (hostile sizes, placeholders,
 * RF64 beyond 4 GiB) and for checking what a tool really wrote.
 */

export type Container = "RIFF" | "RIFX" | "RF64"

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))

export const concatBytes = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** A chunk: id, size (the body's length unless `size` says otherwise), body, pad byte if odd. */
export const chunk = (
  id: string,
  body: Uint8Array,
  options: { readonly size?: number; readonly bigEndian?: boolean } = {},
): Uint8Array => {
  const head = new Uint8Array(8)
  head.set(ascii(id))
  new DataView(head.buffer).setUint32(4, options.size ?? body.length, !options.bigEndian)
  return concatBytes(head, body, new Uint8Array(body.length % 2))
}

export interface FmtOptions {
  readonly tag?: number
  readonly channels?: number
  readonly sampleRate?: number
  readonly bitsPerSample?: number
  /** Default: channels × bytes per sample. */
  readonly blockAlign?: number
  readonly bigEndian?: boolean
  /** Writes WAVE_FORMAT_EXTENSIBLE (40 bytes) with this subformat tag. */
  readonly subformat?: number
}

/** The standard KSDATAFORMAT_SUBTYPE GUID's last 14 bytes. */
export const SUBTYPE_TAIL = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]

/** A `fmt ` chunk's body. */
export const fmtBody = (options: FmtOptions = {}): Uint8Array => {
  const channels = options.channels ?? 1
  const bits = options.bitsPerSample ?? 16
  const rate = options.sampleRate ?? 16_000
  const blockAlign = options.blockAlign ?? channels * Math.ceil(bits / 8)
  const extensible = options.subformat !== undefined
  const body = new Uint8Array(extensible ? 40 : 16)
  const view = new DataView(body.buffer)
  const le = !options.bigEndian
  view.setUint16(0, extensible ? 0xfffe : (options.tag ?? 1), le)
  view.setUint16(2, channels, le)
  view.setUint32(4, rate, le)
  view.setUint32(8, rate * blockAlign, le)
  view.setUint16(12, blockAlign, le)
  view.setUint16(14, bits, le)
  if (extensible) {
    view.setUint16(16, 22, le)
    view.setUint16(18, bits, le)
    view.setUint16(24, options.subformat!, le)
    body.set(SUBTYPE_TAIL, 26)
  }
  return body
}

/** 16-bit little-endian PCM bytes of `samples` (in [-1, 1]). */
export const pcm16 = (samples: ArrayLike<number>): Uint8Array => {
  const out = new Uint8Array(samples.length * 2)
  const view = new DataView(out.buffer)
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i]! * 32768))), true)
  }
  return out
}

/** A whole file: the 12-byte header (RIFF size from the chunks unless given), then the chunks. */
export const wavFile = (
  chunks: ReadonlyArray<Uint8Array>,
  options: { readonly container?: Container; readonly riffSize?: number } = {},
): Uint8Array => {
  const container = options.container ?? "RIFF"
  const head = new Uint8Array(12)
  head.set(ascii(container))
  head.set(ascii("WAVE"), 8)
  const body = concatBytes(...chunks)
  const size = container === "RF64" ? 0xffffffff : (options.riffSize ?? 4 + body.length)
  new DataView(head.buffer).setUint32(4, size, container !== "RIFX")
  return concatBytes(head, body)
}

/** An RF64 `ds64` chunk body: 64-bit RIFF and data sizes, sample count, and a table of other chunks' sizes. */
export const ds64Body = (
  dataSize: number,
  table: ReadonlyArray<{ readonly id: string; readonly size: number }> = [],
): Uint8Array => {
  const body = new Uint8Array(28 + 12 * table.length)
  const view = new DataView(body.buffer)
  const u64 = (at: number, value: number) => {
    view.setUint32(at, value % 2 ** 32, true)
    view.setUint32(at + 4, Math.floor(value / 2 ** 32), true)
  }
  u64(0, dataSize + 1000)
  u64(8, dataSize)
  u64(16, 0)
  view.setUint32(24, table.length, true)
  table.forEach(({ id, size }, i) => {
    body.set(ascii(id), 28 + 12 * i)
    u64(28 + 12 * i + 4, size)
  })
  return body
}

/** A valid 16 kHz mono 16-bit WAV of a 440 Hz tone, `samples` long. */
export const toneWav = (samples = 1600): { bytes: Uint8Array; samples: Float32Array } => {
  const tone = Float32Array.from(
    { length: samples },
    // + 0: no -0, which would not equal the decoder's 0.
    (_, i) => (Math.round(0.25 * Math.sin((2 * Math.PI * 440 * i) / 16000) * 32768) + 0) / 32768,
  )
  return { bytes: wavFile([chunk("fmt ", fmtBody()), chunk("data", pcm16(tone))]), samples: tone }
}

export interface Header {
  readonly container: string
  readonly formatTag: number
  /** WAVE_FORMAT_EXTENSIBLE's subformat tag (the GUID's first two bytes), if any. */
  readonly subformat: number | undefined
  readonly channels: number
  readonly sampleRate: number
  readonly bitsPerSample: number
  /** The data chunk's 32-bit size field, as written. */
  readonly dataSizeField: number
  /** Chunk ids in order, up to and including `data`. */
  readonly chunks: ReadonlyArray<string>
}

/** What a WAV file's header says, read plainly (the whole file in memory). */
export const headerOf = (bytes: Uint8Array): Header => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))
  const container = text(0)
  const le = container !== "RIFX"
  const chunks: Array<string> = []
  let fmt = -1
  let dataSizeField = -1
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = text(at)
    const size = view.getUint32(at + 4, le)
    chunks.push(id)
    if (id === "fmt ") fmt = at + 8
    if (id === "data") {
      dataSizeField = size
      break
    }
    at += 8 + size + (size % 2)
  }
  if (fmt < 0) throw new Error(`no fmt chunk in ${container} file (chunks: ${chunks.join(",")})`)
  const formatTag = view.getUint16(fmt, le)
  return {
    container,
    formatTag,
    subformat: formatTag === 0xfffe ? view.getUint16(fmt + 24, le) : undefined,
    channels: view.getUint16(fmt + 2, le),
    sampleRate: view.getUint32(fmt + 4, le),
    bitsPerSample: view.getUint16(fmt + 14, le),
    dataSizeField,
    chunks,
  }
}

/** Where the data chunk's samples start (just after its 8-byte header). */
export const dataStart = (bytes: Uint8Array): number => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const le = String.fromCharCode(...bytes.subarray(0, 4)) !== "RIFX"
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, le)
    if (String.fromCharCode(...bytes.subarray(at, at + 4)) === "data") return at + 8
    at += 8 + size + (size % 2)
  }
  throw new Error("no data chunk")
}
