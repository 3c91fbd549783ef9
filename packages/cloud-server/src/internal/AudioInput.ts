/**
 * An uploaded WAV to what a transcriber takes: 16 kHz mono 16-bit samples.
 * The decoding and resampling are the voice gate's own (`@edgeline/recipes`:
 * `WavDecode`'s reader for PCM 8–32-bit, float 32/64-bit, A-law and µ-law,
 * plain or WAVE_FORMAT_EXTENSIBLE, any channel count averaged to mono, 4 to
 * 384 kHz; `Resample`, libsamplerate), so the cloud hears the audio as the
 * device does.
 */
import { Pipeline } from "@edgeline/core"
import { Audio as GateAudio, Resample, WavDecode, WavDecodeError } from "@edgeline/recipes"
import { Effect } from "effect"
import { SAMPLE_RATE } from "../Transcriber.js"
import { ApiError, invalidRequest } from "./ApiError.js"

export interface Audio {
  /** 16 kHz mono 16-bit samples. */
  readonly samples: Int16Array
  /** The upload's own format. */
  readonly sampleRate: number
  readonly channels: number
  /** Seconds of audio in the upload. */
  readonly seconds: number
}

/** OpenAI's floor: shorter audio is refused with `audio_too_short`. */
export const MIN_SECONDS = 0.1

const resampler = Pipeline.make("transcription-resample", Resample.stage)

const tooShort = (seconds: number) =>
  invalidRequest(
    `Audio file is too short (${seconds.toFixed(3)} s). Minimum audio length is ${MIN_SECONDS} seconds.`,
    "file",
    "audio_too_short",
  )

const notReadable = (e: WavDecodeError) =>
  e.problem === "not-wav"
    ? invalidRequest(
        `Invalid file format: this server reads WAV files only (PCM, float, A-law or µ-law; any sample rate from 4 to 384 kHz; any channel count), and the file is not one: ${e.message}`,
        "file",
        "invalid_value",
      )
    : invalidRequest(`The WAV file cannot be read: ${e.message}`, "file", "invalid_value")

/** The upload decoded and converted, or a 400 that says what is wrong with it. */
export const decode = (bytes: Uint8Array): Effect.Effect<Audio, ApiError> =>
  Effect.gen(function* () {
    const read = yield* Effect.try({
      try: () => {
        const reader = new WavDecode.WavReader()
        const mono = reader.push(bytes)
        reader.end()
        return { mono, format: reader.format! }
      },
      catch: (e) =>
        e instanceof WavDecodeError
          ? e.problem === "empty"
            ? tooShort(0)
            : notReadable(e)
          : invalidRequest(
              `The WAV file cannot be read: ${e instanceof Error ? e.message : String(e)}`,
              "file",
              "invalid_value",
            ),
    })
    const { mono, format } = read
    const seconds = mono.length / format.sampleRate
    if (seconds < MIN_SECONDS) return yield* tooShort(seconds)
    const resampled =
      format.sampleRate === SAMPLE_RATE
        ? mono
        : yield* Pipeline.run(resampler, { samples: mono, sampleRate: format.sampleRate }).pipe(
            Effect.mapError(
              (e) =>
                new ApiError({
                  status: 500,
                  type: "server_error",
                  param: null,
                  code: null,
                  message: `The audio could not be resampled to 16 kHz: ${e.message}`,
                }),
            ),
          )
    return {
      // The exact inverse of the decoder's k / 32768: a 16-bit 16 kHz upload arrives sample for sample.
      samples: GateAudio.toPcm16(resampled),
      sampleRate: format.sampleRate,
      channels: format.channels,
      seconds,
    }
  })
