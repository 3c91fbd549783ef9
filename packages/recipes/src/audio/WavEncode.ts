/**
 * Writing WAV: the canonical 44-byte RIFF header for 16-bit PCM, and whole
 * files from Int16 samples. A streaming writer writes `header` with its best
 * guess of `dataBytes` (or 0) first, sends the samples, then writes the header
 * again over the first 44 bytes with the real size.
 */

export interface HeaderOptions {
  readonly sampleRate: number
  readonly channels: 1
  readonly bitsPerSample: 16
  /** Bytes of sample data that follow the header. */
  readonly dataBytes: number
}

/** The header's size: "RIFF" size "WAVE", a 16-byte fmt chunk, the data chunk's header. */
export const HEADER_BYTES = 44

/** The largest data size a RIFF header can state (its RIFF size is 32-bit too). */
export const MAX_DATA_BYTES = 0xffffffff - (HEADER_BYTES - 8)

/** A 44-byte RIFF/WAVE header for little-endian PCM, `dataBytes` of samples after it. */
export const header = (options: HeaderOptions): Uint8Array => {
  const { sampleRate, channels, bitsPerSample, dataBytes } = options
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_DATA_BYTES) {
    throw new RangeError(
      `a WAV data size must be a whole number of bytes from 0 to ${MAX_DATA_BYTES}, not ${dataBytes}`,
    )
  }
  const blockAlign = channels * (bitsPerSample / 8)
  const bytes = new Uint8Array(HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  const text = (at: number, id: string) => {
    for (let i = 0; i < 4; i++) bytes[at + i] = id.charCodeAt(i)
  }
  text(0, "RIFF")
  view.setUint32(4, HEADER_BYTES - 8 + dataBytes, true)
  text(8, "WAVE")
  text(12, "fmt ")
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true) // PCM
  view.setUint16(22, channels, true)
  view.setUint32(24, sampleRate, true)
  view.setUint32(28, sampleRate * blockAlign, true)
  view.setUint16(32, blockAlign, true)
  view.setUint16(34, bitsPerSample, true)
  text(36, "data")
  view.setUint32(40, dataBytes, true)
  return bytes
}

/** A whole mono 16-bit PCM WAV file holding `samples`. */
export const encodePcm16 = (samples: Int16Array, sampleRate: number): Uint8Array => {
  const dataBytes = samples.length * 2
  const bytes = new Uint8Array(HEADER_BYTES + dataBytes)
  bytes.set(header({ sampleRate, channels: 1, bitsPerSample: 16, dataBytes }))
  const view = new DataView(bytes.buffer, HEADER_BYTES)
  // Little endian whatever the platform's byte order.
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i]!, true)
  return bytes
}
