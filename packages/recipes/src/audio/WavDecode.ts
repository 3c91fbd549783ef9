/**
 * WAV bytes to mono float audio, as a stream: the `wav-decode` stage takes
 * the file in pieces of any size (or whole) and emits the samples each piece
 * completes. See `WavReader` for the containers, the length-placeholder rule
 * and what is held between pieces; `WavFormat` for the encodings: PCM 8
 * (unsigned), 16, 24 and 32-bit, float 32 and 64-bit, A-law and µ-law, plain
 * or WAVE_FORMAT_EXTENSIBLE, any channel count (averaged to mono), 4 to
 * 384 kHz. Anything else gets a `WavDecodeError` that says what is wrong.
 *
 * Length placeholders: a `data` size of 0, or a RIFF or `data` size of
 * 0x7FFF0000 or more in a RIFF/RIFX header (not RF64), is what writers that
 * cannot seek back leave (sox and arecord on a pipe, ffmpeg streaming): the
 * length is unknown, the audio runs to the end of the input, and a short
 * input is not `truncated`.
 */
import { Stage } from "@edgeline/core"
import { Effect, Schema } from "effect"
import { messageOf } from "../internal/messageOf.js"
import { type AudioChunk, concatChunks } from "./Audio.js"
import { WavDecodeError, wavError } from "./WavDecodeError.js"
import { WavReader } from "./WavReader.js"

export type { Encoding, WavFormat } from "./WavFormat.js"
export { WavReader } from "./WavReader.js"

/** Runs a reader call, turning what it throws into a `WavDecodeError`. */
const attempt = <A>(read: () => A): Effect.Effect<A, WavDecodeError> =>
  Effect.try({
    try: read,
    catch: (e) => (e instanceof WavDecodeError ? e : wavError("not-wav", messageOf(e))),
  })

const chunk = (reader: WavReader, samples: Float32Array): AudioChunk => ({
  samples,
  sampleRate: reader.sampleRate,
})

/** A whole WAV file's audio. */
export const decode = (bytes: Uint8Array): Effect.Effect<AudioChunk, WavDecodeError> =>
  attempt(() => {
    const reader = new WavReader()
    const samples = reader.push(bytes)
    reader.end()
    return chunk(reader, samples)
  })

/**
 * Preprocess stage: the next piece of a WAV file in, the mono audio it
 * completes out (zero samples while the header is still coming in, when the
 * sample rate is 0). The end of the stream reports a file that was cut short,
 * had no audio or was not WAV at all.
 */
export const stage = Stage.preprocess({
  name: "wav-decode",
  input: Schema.instanceOf(Uint8Array, {
    expected: "the WAV file's bytes (the whole file or its next piece) in a Uint8Array",
  }),
  initial: () => new WavReader(),
  step: (reader, piece: Uint8Array) => attempt(() => chunk(reader, reader.push(piece))),
  flush: (reader) =>
    attempt(() => {
      reader.end()
      return chunk(reader, new Float32Array(0))
    }),
  concat: concatChunks,
})
