/**
 * The voice gate: audio in, only the speech out. WAV (or live chunks) →
 * 16 kHz → 512-sample frames → Silero VAD v5 → speech segments → the speech
 * audio as 16 kHz PCM16, with bytes in and out reported.
 *
 * The same pipeline objects run in Node and in a browser worker.
 *
 * @example
 * ```ts
 * import { createRunner } from "@edgeline/core"
 * import { NodeRuntime } from "@edgeline/runtime-node"
 * import { VoiceGate } from "@edgeline/recipes"
 *
 * const runner = await createRunner(VoiceGate.file, { layer: NodeRuntime.layer() })
 * const gated = await runner.run(await readFile("talk.wav"))
 * console.log(gated.segments, VoiceGate.speechRatio(gated))
 * ```
 */
import {
  Condense,
  type Infer,
  type ModelLoadError,
  type ModelNotFoundError,
  type ModelRef,
  Pipeline,
} from "@edgeline/core"
import { Effect, type Layer, type Scope } from "effect"
import { type AudioChunk, MODEL_RATE, toPcm16 } from "../audio/Audio.js"
import * as FiniteAudio from "../audio/FiniteAudio.js"
import * as Frames from "../audio/Frames.js"
import * as Resample from "../audio/Resample.js"
import type { ResampleError } from "../audio/ResampleError.js"
import * as WavDecode from "../audio/WavDecode.js"
import type { WavDecodeError } from "../audio/WavDecodeError.js"
import * as WavEncode from "../audio/WavEncode.js"
import * as Segmenter from "./Segmenter.js"
import * as SileroVad from "./SileroVad.js"
import * as VoiceGateway from "./VoiceGateway.js"

export interface Options extends Segmenter.Options {
  /** Another Silero v5 file (e.g. from a fleet registry). */
  readonly model?: ModelRef.ModelRef | undefined
}

/** A whole input's gate also chooses how its frames are scored. */
export interface FileOptions extends Options {
  /**
   * `"sequential"` (the default): frame after frame, bit-identical to
   * Silero's reference loop. `"batched"`: in stretches scored side by side,
   * about 2× faster on native, with probabilities close to the sequential
   * ones and the same segments up to a frame at the joins (see the README).
   */
  readonly scoring?: SileroVad.Scoring | undefined
  /**
   * Threads inside one Silero call (default: the runtime's own, one on
   * Node). With batched scoring, 2 is faster on an idle second core (≈ 1.05–1.1×
   * on this project's benchmark machine) and slower when that core is busy:
   * the CLI asks for 2 only when the load average leaves a core free.
   */
  readonly threads?: number | undefined
}

export interface Gated {
  /** Speech segments, in seconds from the start. */
  readonly segments: ReadonlyArray<{ readonly start: number; readonly end: number }>
  /** The speech audio, segments back to back, 16 kHz PCM16: all that leaves the device. */
  readonly speech: Int16Array
  /** Speech probability of each 512-sample frame. */
  readonly probabilities: Float32Array
  readonly firstFrame: number
  /** 16 kHz samples examined. */
  readonly samples: number
  /** 16 kHz PCM16 bytes examined and bytes kept. */
  readonly bytesIn: number
  readonly bytesOut: number
}

const NO_SEGMENTS: Gated["segments"] = Object.freeze([])
const NO_SPEECH = new Int16Array(0)

const toSpeech = Condense.condense({
  name: "speech-pcm16",
  run: (segmented: Segmenter.Segmented) =>
    Effect.sync((): Gated => {
      // Most live pushes close no segment: nothing to convert or allocate.
      if (segmented.segments.length === 0) {
        return {
          segments: NO_SEGMENTS,
          speech: NO_SPEECH,
          probabilities: segmented.probabilities,
          firstFrame: segmented.firstFrame,
          samples: segmented.samples,
          bytesIn: segmented.samples * 2,
          bytesOut: 0,
        }
      }
      const length = segmented.segments.reduce((n, s) => n + s.audio.length, 0)
      const speech = new Int16Array(length)
      let offset = 0
      for (const segment of segmented.segments) {
        toPcm16(segment.audio, speech.subarray(offset))
        offset += segment.audio.length
      }
      return {
        segments: segmented.segments.map(({ start, end }) => ({ start, end })),
        speech,
        probabilities: segmented.probabilities,
        firstFrame: segmented.firstFrame,
        samples: segmented.samples,
        bytesIn: segmented.samples * 2,
        bytesOut: speech.byteLength,
      }
    }),
  measure: (_, gated) => ({ unit: "bytes", before: gated.bytesIn, after: gated.bytesOut }),
})

/** What a gate can fail with, besides the input's validation (a WAV gate also with `WavDecodeError`). */
export type GateError = Infer.InferError | ResampleError

/** A gate pipeline: `In` is a WAV's bytes (`fromWav`) or live audio chunks (`live`). */
export type Gate<In, E = GateError> = Pipeline.Pipeline<In, Gated, E, Infer.InferServices>

/** The WAV gate's pipeline. */
export type WavGate = Gate<Uint8Array, GateError | WavDecodeError>

/** The gate for live audio: push `AudioChunk`s of any size; segments come out as they close. */
export const live = (options: Options = {}): Gate<AudioChunk> =>
  Pipeline.make(
    "voice-gate-live",
    Resample.stage,
    Frames.make(SileroVad.FRAME),
    // Always sequential: a live stream's pushes are small, and its results must not depend on how it was cut.
    SileroVad.make({ model: options.model }),
    Segmenter.make(options),
    toSpeech,
  )

export interface GatewayOptions extends Options {
  /** Most streams whose frames share one model call (default 64). */
  readonly maxBatch?: number | undefined
}

/**
 * The live gate's pipeline as a gateway runs it; its entry also refuses
 * NaN or infinite samples (`InputValidationError`), which would spoil the
 * stream's model state.
 */
export const gatewayPipeline = (options: Options = {}): Gate<AudioChunk> =>
  Pipeline.make(
    "voice-gate-gateway",
    FiniteAudio.resampleStage,
    Frames.make(SileroVad.FRAME),
    SileroVad.make(options),
    Segmenter.make(options),
    toSpeech,
  )

/** A gateway of live gates, for Promise users. */
export type GatewayRunner = VoiceGateway.GatewayRunner<AudioChunk, Gated>

/**
 * The live gate for many streams in one process (a server for many
 * microphones): `open()` one stream per microphone and `push` its chunks;
 * the frames of every stream pushed in the same turn of the event loop share
 * one model call, each stream with its own state. Loads the model before it
 * resolves. See `VoiceGateway`; `gatewayEffect` is the same for Effect users.
 */
export const gateway = <ER>(
  options: GatewayOptions & { readonly layer: Layer.Layer<Infer.InferServices, ER> },
): Promise<GatewayRunner> => VoiceGateway.start(gatewayPipeline(options), options)

/** `gateway` as a scoped Effect: the scope's end closes it. */
export const gatewayEffect = (
  options: GatewayOptions = {},
): Effect.Effect<
  VoiceGateway.Gateway<AudioChunk, Gated, GateError>,
  ModelLoadError | ModelNotFoundError,
  Scope.Scope | Infer.InferServices
> => VoiceGateway.make(gatewayPipeline(options), options)

/**
 * The gate for a WAV file: its bytes in, whole (`run`) or in pieces of any
 * size pushed through `Pipeline.open` / `runner.open()` as they arrive.
 * With `scoring: "batched"`, each piece's frames are scored in stretches
 * (a piece too short for two is scored frame by frame), its first stretch
 * continuing where the previous piece ended.
 */
export const fromWav = (options: FileOptions = {}): WavGate =>
  Pipeline.make(
    "voice-gate",
    WavDecode.stage,
    Resample.stage,
    Frames.make(SileroVad.FRAME),
    SileroVad.make(options),
    Segmenter.make(options),
    toSpeech,
  )

/** Default-configured pipelines. */
export const file: WavGate = fromWav()
export const stream: Gate<AudioChunk> = live()

/** Share of the examined audio that was kept as speech, 0..1. */
export const speechRatio = (gated: Pick<Gated, "bytesIn" | "bytesOut">): number =>
  gated.bytesIn === 0 ? 0 : gated.bytesOut / gated.bytesIn

/** Joins the outputs of a live stream into one result. */
export const merge = (outputs: ReadonlyArray<Gated>): Gated => {
  const speech = new Int16Array(outputs.reduce((n, o) => n + o.speech.length, 0))
  const probabilities = new Float32Array(outputs.reduce((n, o) => n + o.probabilities.length, 0))
  let s = 0
  let p = 0
  for (const o of outputs) {
    speech.set(o.speech, s)
    s += o.speech.length
    probabilities.set(o.probabilities, p)
    p += o.probabilities.length
  }
  return {
    segments: outputs.flatMap((o) => o.segments),
    speech,
    probabilities,
    firstFrame: outputs[0]?.firstFrame ?? 0,
    samples: outputs.reduce((n, o) => n + o.samples, 0),
    bytesIn: outputs.reduce((n, o) => n + o.bytesIn, 0),
    bytesOut: outputs.reduce((n, o) => n + o.bytesOut, 0),
  }
}

/** The rate of everything the gate outputs. */
export const SAMPLE_RATE = MODEL_RATE

/** The gate's speech output as a 16 kHz mono PCM16 WAV file. */
export const toWav = (speech: Int16Array): Uint8Array => WavEncode.encodePcm16(speech, MODEL_RATE)
