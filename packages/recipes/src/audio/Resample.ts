/**
 * Streaming resampling to 16 kHz with libsamplerate (its WebAssembly port),
 * the reference sample-rate converter. The converter keeps its filter state
 * between chunks, so a live stream resamples as if it were one file.
 */
import LibSampleRate from "@alexanderolsen/libsamplerate-js"
import { Errors, Stage } from "@edgeline/core"
import { Data, Effect, Schema } from "effect"
import { type AudioChunk, concatFloat32, MODEL_RATE } from "./Audio.js"

export class ResampleError extends Data.TaggedError("ResampleError")<{
  readonly message: string
}> {}

type Converter = Awaited<ReturnType<typeof LibSampleRate.create>>

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

const reuse = (rate: number): Converter | undefined => {
  const at = idle.findIndex((entry) => entry.rate === rate)
  if (at < 0) return undefined
  const converter = idle.splice(at, 1)[0]!.converter
  converter.inputSampleRate = rate
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
  state.rate = rate
  if (rate === MODEL_RATE || state.converter !== undefined) return Effect.succeed(state.converter)
  const reused = reuse(rate)
  if (reused !== undefined) {
    state.converter = reused
    return Effect.succeed(reused)
  }
  return Effect.tryPromise({
    try: () =>
      LibSampleRate.create(1, rate, MODEL_RATE, {
        converterType: LibSampleRate.ConverterType.SRC_SINC_FASTEST,
      }),
    catch: (e) =>
      new ResampleError({ message: `cannot start the resampler: ${Errors.messageOf(e)}` }),
  }).pipe(Effect.tap((converter) => Effect.sync(() => (state.converter = converter))))
}

/** What a live chunk must be: mono float samples and a positive whole sample rate. */
export const AudioChunkSchema = Schema.Struct({
  samples: Schema.instanceOf(Float32Array, { expected: "mono samples in a Float32Array" }),
  sampleRate: Schema.Int.check(Schema.isGreaterThan(0)),
})

/** Preprocess stage: mono audio at any rate in, 16 kHz samples out. */
export const stage = Stage.preprocess({
  name: "resample-16k",
  input: AudioChunkSchema,
  initial: (): State => ({ rate: undefined, converter: undefined, samplesIn: 0, samplesOut: 0 }),
  step: (state, chunk: AudioChunk) =>
    Effect.map(converterFor(state, chunk.sampleRate), (converter) => {
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
