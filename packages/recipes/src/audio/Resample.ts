/**
 * Streaming resampling to 16 kHz with libsamplerate (its WebAssembly port),
 * the reference sample-rate converter. The converter keeps its filter state
 * between chunks, so a live stream resamples as if it were one file.
 *
 * Rates from 4 to 384 kHz (`Audio.MIN_SAMPLE_RATE`..`MAX_SAMPLE_RATE`).
 * libsamplerate-js takes rates up to 192 kHz only, but libsamplerate itself
 * works on the ratio alone: above 192 kHz the converter is made with both
 * rates halved (384 kHz → 16 kHz as 192 kHz → 8 kHz), the same ratio.
 */
import type LibSampleRateModule from "@alexanderolsen/libsamplerate-js"
import { Stage } from "@edgeline/core"
import { Effect, Schema } from "effect"
import { messageOf } from "../internal/messageOf.js"
import {
  type AudioChunk,
  concatFloat32,
  isSupportedRate,
  MODEL_RATE,
  SUPPORTED_RATES,
} from "./Audio.js"
import { ResampleError } from "./ResampleError.js"

type Converter = Awaited<ReturnType<typeof LibSampleRateModule.create>>

/**
 * libsamplerate is imported on the first stream that needs it: its module
 * embeds its WebAssembly (2 MB of JavaScript to parse), which 16 kHz input,
 * the common case, never uses. Bundlers split it into a chunk of its own.
 */
let library: Promise<typeof LibSampleRateModule> | undefined
const loadLibrary = () =>
  (library ??= import("@alexanderolsen/libsamplerate-js").then(
    (module) => (module as { default?: typeof LibSampleRateModule }).default ?? module,
  ))

interface State {
  rate: number | undefined
  converter: Converter | undefined
  /** Samples fed to and got from the converter, to drain what it holds back at the end. */
  samplesIn: number
  samplesOut: number
}

/**
 * Converters left by ended streams, for the next stream at the same rate:
 * each converter instantiates its own WebAssembly module (16 MB of memory,
 * 6-40 ms), which a server or page opening stream after stream would pay
 * every time. Two at most are kept; setting the rate again resets a
 * converter's filter state, so a reused one resamples as a new one would.
 */
const idle: Array<{ readonly rate: number; readonly converter: Converter }> = []
const IDLE_MAX = 2

/** The largest rate libsamplerate-js accepts. */
const LIBRARY_MAX_RATE = 192_000

/** The rates the converter is made with: the same ratio, within the library's range. */
const converterRates = (rate: number) => {
  const scale = rate > LIBRARY_MAX_RATE ? 2 : 1
  return { input: rate / scale, output: MODEL_RATE / scale }
}

const reuse = (rate: number): Converter | undefined => {
  const at = idle.findIndex((entry) => entry.rate === rate)
  if (at < 0) return undefined
  const converter = idle.splice(at, 1)[0]!.converter
  converter.inputSampleRate = converterRates(rate).input
  return converter
}

const release = (rate: number, converter: Converter) => {
  idle.push({ rate, converter })
  if (idle.length > IDLE_MAX) idle.shift()!.converter.destroy()
}

/** Frees the converters kept for reuse (their memory with them); returns how many there were. */
export const releaseIdle = (): number => {
  const count = idle.length
  for (const { converter } of idle.splice(0)) converter.destroy()
  return count
}

const converterFor = (
  state: State,
  rate: number,
): Effect.Effect<Converter | undefined, ResampleError> => {
  if (state.rate !== undefined && state.rate !== rate) {
    return Effect.fail(
      new ResampleError({
        message: `sample rate changed mid-stream from ${state.rate} to ${rate} Hz; open a new stream`,
      }),
    )
  }
  if (!isSupportedRate(rate)) {
    return Effect.fail(
      new ResampleError({
        message: `sample rate ${rate} Hz is outside the supported ${SUPPORTED_RATES}; resample the audio first`,
      }),
    )
  }
  state.rate = rate
  if (rate === MODEL_RATE || state.converter !== undefined) return Effect.succeed(state.converter)
  const reused = reuse(rate)
  if (reused !== undefined) {
    state.converter = reused
    return Effect.succeed(reused)
  }
  return Effect.tryPromise({
    try: async () => {
      const { input, output } = converterRates(rate)
      const LibSampleRate = await loadLibrary()
      return LibSampleRate.create(1, input, output, {
        converterType: LibSampleRate.ConverterType.SRC_SINC_FASTEST,
      })
    },
    catch: (e) => new ResampleError({ message: `cannot start the resampler: ${messageOf(e)}` }),
  }).pipe(Effect.tap((converter) => Effect.sync(() => (state.converter = converter))))
}

/** What a live chunk must be: mono float samples and a positive whole sample rate. */
export const AudioChunkSchema = Schema.Struct({
  samples: Schema.instanceOf(Float32Array, { expected: "mono samples in a Float32Array" }),
  sampleRate: Schema.Int.check(Schema.isGreaterThan(0)),
})

const NO_SAMPLES = new Float32Array(0)

/**
 * Preprocess stage: mono audio at 4 to 384 kHz in, 16 kHz samples out. A
 * chunk without samples passes as none, whatever rate it names: a streaming
 * decoder emits such chunks before it has read the rate.
 */
export const stage = Stage.preprocess({
  name: "resample-16k",
  input: AudioChunkSchema,
  initial: (): State => ({ rate: undefined, converter: undefined, samplesIn: 0, samplesOut: 0 }),
  step: (state, chunk: AudioChunk) =>
    chunk.samples.length === 0
      ? Effect.succeed(NO_SAMPLES)
      : // A 16 kHz stream already checked: its samples pass as they are, one Effect and no more.
        chunk.sampleRate === MODEL_RATE && state.rate === MODEL_RATE
        ? Effect.succeed(chunk.samples)
        : Effect.map(converterFor(state, chunk.sampleRate), (converter) => {
            if (converter === undefined) return chunk.samples
            const out = converter.full(chunk.samples)
            state.samplesIn += chunk.samples.length
            state.samplesOut += out.length
            return out
          }),
  flush: (state) =>
    Effect.sync(() => {
      const { converter, rate } = state
      state.converter = undefined
      if (converter === undefined || rate === undefined) return new Float32Array(0)
      // The converter holds back its last outputs (its filter's delay) until more input
      // comes; 20 ms of silence pushes them out, as libsamplerate's end_of_input would.
      const missing = Math.round((state.samplesIn * MODEL_RATE) / rate) - state.samplesOut
      const tail =
        missing > 0
          ? converter.full(new Float32Array(Math.ceil(rate / 50))).slice(0, missing)
          : new Float32Array(0)
      release(rate, converter)
      return tail
    }),
  concat: concatFloat32,
})
