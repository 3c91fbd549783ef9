// Long WAV files for the memory benchmark, written to disk in pieces (never
// whole in memory): a base recording's sample data repeated until the wanted
// length, under a RIFF header, or an RF64 one (ds64 chunk with 64-bit sizes)
// when the data passes 4 GiB.
import { execFile } from "node:child_process"
import { open } from "node:fs/promises"
import { promisify } from "node:util"

/**
 * `input` as sox re-encodes it: `{ fmt, data }`, the raw sample bytes (sox's
 * `-t raw`, no header to parse) in the format the options ask for.
 */
export const soxRaw = async (input, { sampleRate, channels, float }) => {
  const bitsPerSample = float ? 32 : 16
  const encoding = float ? ["-e", "floating-point"] : ["-e", "signed-integer"]
  const { stdout } = await promisify(execFile)(
    "sox",
    [
      input,
      "-r",
      String(sampleRate),
      "-c",
      String(channels),
      ...encoding,
      "-b",
      String(bitsPerSample),
      "-t",
      "raw",
      "-",
    ],
    { encoding: "buffer", maxBuffer: 1 << 30 },
  )
  const fmt = { format: float ? 3 : 1, channels, sampleRate, bitsPerSample }
  return { fmt, data: stdout }
}

const riffHeader = ({ format, channels, sampleRate, bitsPerSample }, dataBytes) => {
  const header = Buffer.alloc(44)
  header.write("RIFF", 0, "latin1")
  header.writeUInt32LE(36 + dataBytes, 4)
  header.write("WAVEfmt ", 8, "latin1")
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(format, 20)
  header.writeUInt16LE(channels, 22)
  header.writeUInt32LE(sampleRate, 24)
  header.writeUInt32LE((sampleRate * channels * bitsPerSample) / 8, 28)
  header.writeUInt16LE((channels * bitsPerSample) / 8, 32)
  header.writeUInt16LE(bitsPerSample, 34)
  header.write("data", 36, "latin1")
  header.writeUInt32LE(dataBytes, 40)
  return header
}

const rf64Header = ({ format, channels, sampleRate, bitsPerSample }, dataBytes) => {
  const blockAlign = (channels * bitsPerSample) / 8
  const header = Buffer.alloc(80)
  header.write("RF64", 0, "latin1")
  header.writeUInt32LE(0xffffffff, 4)
  header.write("WAVEds64", 8, "latin1")
  header.writeUInt32LE(28, 16)
  header.writeBigUInt64LE(BigInt(80 - 8 + dataBytes), 20) // RIFF size
  header.writeBigUInt64LE(BigInt(dataBytes), 28) // data size
  header.writeBigUInt64LE(BigInt(dataBytes / blockAlign), 36) // sample frames
  header.writeUInt32LE(0, 44) // no table
  header.write("fmt ", 48, "latin1")
  header.writeUInt32LE(16, 52)
  header.writeUInt16LE(format, 56)
  header.writeUInt16LE(channels, 58)
  header.writeUInt32LE(sampleRate, 60)
  header.writeUInt32LE(sampleRate * blockAlign, 64)
  header.writeUInt16LE(blockAlign, 68)
  header.writeUInt16LE(bitsPerSample, 70)
  header.write("data", 72, "latin1")
  header.writeUInt32LE(0xffffffff, 76)
  return header
}

/**
 * Writes `base`'s data `times` times under one header (RF64 when `rf64`);
 * returns the file's size in bytes.
 */
export const writeRepeated = async (path, { fmt, data }, times, { rf64 = false } = {}) => {
  const dataBytes = data.byteLength * times
  if (!rf64 && dataBytes > 0xffffffff - 36) throw new Error("over 4 GiB: write it as RF64")
  const file = await open(path, "w")
  try {
    const header = rf64 ? rf64Header(fmt, dataBytes) : riffHeader(fmt, dataBytes)
    await file.write(header)
    for (let i = 0; i < times; i++) await file.write(data)
    return header.byteLength + dataBytes
  } finally {
    await file.close()
  }
}

/** What libsndfile (an independent reader) makes of a file: its container line and frame count. */
export const sndfileInfo = async (path) => {
  const { stdout } = await promisify(execFile)("sndfile-info", [path], { maxBuffer: 1 << 22 })
  return stdout
}
