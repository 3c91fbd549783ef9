/** Building and inspecting WAV files in memory with `wavefile`. */
import LibSampleRate from "@alexanderolsen/libsamplerate-js"
import wavefile from "wavefile" // CommonJS under Node ESM: no named exports

const { WaveFile } = wavefile

export type BitDepth = "8" | "16" | "24" | "32" | "32f"

/** The value of a full-scale sample for each bit depth (8-bit is unsigned, centred on 128). */
const FULL_SCALE: Record<BitDepth, number> = {
  "8": 128,
  "16": 32768,
  "24": 8388608,
  "32": 2147483648,
  "32f": 1,
}

/** Float samples in [-1, 1] as the values `wavefile` stores for `bitDepth`. */
export const encodeSamples = (samples: ArrayLike<number>, bitDepth: BitDepth): Float64Array => {
  const out = new Float64Array(samples.length)
  if (bitDepth === "32f") {
    for (let i = 0; i < samples.length; i++) out[i] = samples[i]!
    return out
  }
  const scale = FULL_SCALE[bitDepth]
  const offset = bitDepth === "8" ? 128 : 0
  const min = bitDepth === "8" ? 0 : -scale
  const max = bitDepth === "8" ? 255 : scale - 1
  for (let i = 0; i < samples.length; i++) {
    out[i] = Math.max(min, Math.min(max, Math.round(samples[i]! * scale) + offset))
  }
  return out
}

/** One quantisation step of `bitDepth`, relative to full scale. */
export const step = (bitDepth: BitDepth): number =>
  bitDepth === "32f" ? 0 : 1 / FULL_SCALE[bitDepth]

/** A WAV file with one entry of `channels` per channel (all the same length), float in [-1, 1]. */
export const makeWav = (
  channels: ReadonlyArray<ArrayLike<number>>,
  sampleRate: number,
  bitDepth: BitDepth,
): Uint8Array => {
  const wav = new WaveFile()
  const encoded = channels.map((samples) => encodeSamples(samples, bitDepth))
  wav.fromScratch(
    channels.length,
    sampleRate,
    bitDepth,
    channels.length === 1 ? encoded[0]! : encoded,
  )
  return wav.toBuffer()
}

/** An 8 kHz mono WAV in IMA ADPCM (format tag 0x0011), which the gate does not decode. */
export const imaAdpcmWav = (samples: ArrayLike<number>): Uint8Array => {
  const wav = new WaveFile()
  wav.fromScratch(1, 8000, "16", encodeSamples(samples, "16"))
  wav.toIMAADPCM()
  return wav.toBuffer()
}

/**
 * Mono float audio resampled in one go with libsamplerate's best converter
 * (the gate itself streams with its fastest one).
 */
export const resampleBest = async (
  samples: Float32Array,
  from: number,
  to: number,
): Promise<Float32Array> => {
  if (from === to) return samples.slice()
  const converter = await LibSampleRate.create(1, from, to, {
    converterType: LibSampleRate.ConverterType.SRC_SINC_BEST_QUALITY,
  })
  try {
    return converter.simple(samples).slice()
  } finally {
    converter.destroy()
  }
}

export interface WavInfo {
  readonly channels: number
  readonly sampleRate: number
  readonly bitDepth: string
  /** Sample frames (samples per channel). */
  readonly frames: number
}

/** What a WAV's header says, read by wavefile. */
export const wavInfo = (bytes: Uint8Array): WavInfo => {
  const wav = new WaveFile(bytes)
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; blockAlign: number }
  const data = wav.data as { chunkSize: number }
  return {
    channels: fmt.numChannels,
    sampleRate: fmt.sampleRate,
    bitDepth: wav.bitDepth,
    frames: Math.floor(data.chunkSize / fmt.blockAlign),
  }
}

/** Byte offset of the first byte of audio (just after the `data` chunk header). */
export const dataOffset = (bytes: Uint8Array): number => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 12 // "RIFF" size "WAVE"
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4))
    const size = view.getUint32(offset + 4, true)
    if (id === "data") return offset + 8
    offset += 8 + size + (size % 2)
  }
  throw new Error("no data chunk")
}
