/**
 * Whole sample frames of WAV data to mono float samples in [-1, 1]: the
 * channels of each frame are averaged. Integer samples are divided by their
 * full scale (k / 32768 for 16-bit, so 16-bit audio comes out exactly as it
 * went in and `toPcm16` gives it back bit for bit); 8-bit PCM is unsigned,
 * centred on 128; A-law and µ-law go through their 16-bit linear values.
 */
import * as G711 from "./G711.js"
import type { WavFormat } from "./WavFormat.js"

/**
 * Decodes `frames` whole frames starting at `view` byte `offset` into
 * `out[at..]`. Returns the index (from `at`) of the first frame whose value is
 * NaN or infinite, or -1 when all are finite (only float data can have one).
 */
export type FrameDecoder = (
  view: DataView,
  offset: number,
  frames: number,
  out: Float32Array,
  at: number,
) => number

/** One sample's raw value (on the integer scale for PCM, after removing 8-bit's offset). */
type SampleReader = (view: DataView, offset: number) => number

// The common encodings, 16-bit and 32-bit float little endian in mono or stereo, each get a
// loop of their own: one DataView read per sample and no call per sample. They compute
// exactly what the general loop computes (sum / channels / scale).

const pcm16Mono: FrameDecoder = (view, offset, frames, out, at) => {
  for (let i = 0; i < frames; i++) out[at + i] = view.getInt16(offset + 2 * i, true) / 32768
  return -1
}

const pcm16Stereo: FrameDecoder = (view, offset, frames, out, at) => {
  for (let i = 0, o = offset; i < frames; i++, o += 4) {
    out[at + i] = (view.getInt16(o, true) + view.getInt16(o + 2, true)) / 2 / 32768
  }
  return -1
}

const float32Mono: FrameDecoder = (view, offset, frames, out, at) => {
  let bad = -1
  for (let i = 0; i < frames; i++) {
    const value = view.getFloat32(offset + 4 * i, true)
    out[at + i] = value
    // x - x is NaN exactly when x is NaN or infinite.
    if (value - value !== 0 && bad < 0) bad = i
  }
  return bad
}

const float32Stereo: FrameDecoder = (view, offset, frames, out, at) => {
  let bad = -1
  for (let i = 0, o = offset; i < frames; i++, o += 8) {
    const value = (view.getFloat32(o, true) + view.getFloat32(o + 4, true)) / 2
    out[at + i] = value
    if (value - value !== 0 && bad < 0) bad = i
  }
  return bad
}

const int24 = (littleEndian: boolean): SampleReader =>
  littleEndian
    ? (view, o) => view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)
    : (view, o) => (view.getInt8(o) << 16) | (view.getUint8(o + 1) << 8) | view.getUint8(o + 2)

const reader = (format: WavFormat): { read: SampleReader; scale: number } => {
  const le = !format.bigEndian
  switch (format.encoding) {
    case "alaw":
    case "mulaw": {
      const table = format.encoding === "alaw" ? G711.alaw() : G711.mulaw()
      return { read: (view, o) => table[view.getUint8(o)]!, scale: 32768 }
    }
    case "float":
      return format.bytesPerSample === 4
        ? { read: (view, o) => view.getFloat32(o, le), scale: 1 }
        : { read: (view, o) => view.getFloat64(o, le), scale: 1 }
    case "pcm":
      switch (format.bytesPerSample) {
        case 1:
          return { read: (view, o) => view.getUint8(o) - 128, scale: 128 }
        case 2:
          return { read: (view, o) => view.getInt16(o, le), scale: 32768 }
        case 3:
          return { read: int24(le), scale: 8388608 }
        default:
          return { read: (view, o) => view.getInt32(o, le), scale: 2147483648 }
      }
  }
}

/** Any encoding, any channel count, either byte order. */
const general = (format: WavFormat): FrameDecoder => {
  const { read, scale } = reader(format)
  const { channels, bytesPerSample: size, blockAlign } = format
  const mayBeBad = format.encoding === "float"
  return (view, offset, frames, out, at) => {
    let bad = -1
    for (let i = 0, frame = offset; i < frames; i++, frame += blockAlign) {
      let sum = 0
      for (let c = 0, o = frame; c < channels; c++, o += size) sum += read(view, o)
      // Stored first, then tested: a 64-bit value too large for 32 bits becomes infinite.
      out[at + i] = sum / channels / scale
      if (mayBeBad && out[at + i]! - out[at + i]! !== 0 && bad < 0) bad = i
    }
    return bad
  }
}

/** The fastest decoder for `format`. */
export const decoderFor = (format: WavFormat): FrameDecoder => {
  if (!format.bigEndian && format.channels <= 2) {
    const stereo = format.channels === 2
    if (format.encoding === "pcm" && format.bytesPerSample === 2) {
      return stereo ? pcm16Stereo : pcm16Mono
    }
    if (format.encoding === "float" && format.bytesPerSample === 4) {
      return stereo ? float32Stereo : float32Mono
    }
  }
  return general(format)
}
