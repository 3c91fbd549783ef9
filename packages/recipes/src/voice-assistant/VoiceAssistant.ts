/**
 * The voice assistant over a recording: the Silero gate keeps the speech;
 * openWakeWord listens only to that speech, each segment afresh; after a
 * wake, the rest of the utterance (speech only) goes to the cloud's
 * transcription endpoint (`CloudModel.transcribe`: PocketSphinx in the
 * reference tier, Whisper in a real deployment). Nothing is sent without a
 * wake; a cloud that fails leaves the wake with no transcript, marked
 * `degraded`, and never fails the caller.
 *
 * `pipeline(options)` is the same as a pipeline of stages (the gate's, then
 * `wake-word` and `transcribe`), for a runner whose per-stage counts and
 * latency a UI shows; `fromWav(wav, options)` runs it once as an Effect.
 */
import { CloudModel, type Infer, type InputValidationError, Pipeline, Stage } from "@edgeline/core"
import { Effect } from "effect"
import { MODEL_RATE } from "../audio/Audio.js"
import type { WavDecodeError } from "../audio/WavDecodeError.js"
import * as VoiceGate from "../voice-gate/VoiceGate.js"
import * as WakeWord from "./WakeWord.js"

export interface Options {
  /** The wake-word detector: `model` is the classifier of your choice (see WakeModels). */
  readonly wake: WakeWord.Options
  /** The gate (default padding 300 ms: a phrase scores once it has ended). */
  readonly gate?: VoiceGate.Options | undefined
  /** The transcription model (default: the CloudModel's own). */
  readonly transcriptionModel?: string | undefined
  readonly language?: string | undefined
  /** An utterance shorter than this after the wake takes in the next segment too (default 1 s). */
  readonly minUtteranceSeconds?: number | undefined
  /**
   * Seconds before the wake sent too (default 0). A wake fires up to a
   * quarter second after "jarvis" ends, when a fast command may have begun;
   * a lead keeps its first word but also sends the end of "jarvis", which
   * PocketSphinx mishears on some voices (0.25 s: 34.1 % → 38.6 % word
   * error rate over the flite voices in tests/cascade).
   */
  readonly leadSeconds?: number | undefined
}

export interface Heard {
  /** Seconds from the start of the recording where the wake word was heard. */
  readonly at: number
  readonly score: number
  /** What the cloud heard after it; undefined when the cloud failed. */
  readonly transcript: string | undefined
  readonly degraded: boolean
  readonly reason?: string | undefined
  /** Seconds of audio that followed it and went to the cloud (delivered or not: see `degraded`). */
  readonly audioSeconds: number
}

export interface Result {
  readonly wakes: ReadonlyArray<Heard>
  /**
   * Seconds of audio the cloud received: the `audioSeconds` of the wakes it
   * transcribed. A degraded wake's audio is not counted (its call failed, so
   * it did not reach the cloud, or not for certain); with the cloud
   * unreachable this is 0.
   */
  readonly audioSentSeconds: number
  readonly inputSeconds: number
  /** Speech segments the gate found. */
  readonly segments: number
  /** Those segments, in seconds from the start of the recording (with the gate's padding). */
  readonly speech: ReadonlyArray<{ readonly start: number; readonly end: number }>
}

export type AssistantError =
  | VoiceGate.GateError
  | WavDecodeError
  | WakeWord.DetectorError
  | InputValidationError

interface Speech {
  readonly start: number
  readonly end: number
  readonly audio: Int16Array
}

/** The gate's segments with their own audio (the gate gives them back to back). */
const speechSegments = (gated: VoiceGate.Gated): Array<Speech> => {
  let offset = 0
  return gated.segments.map(({ start, end }) => {
    const length = Math.round((end - start) * MODEL_RATE)
    const audio = gated.speech.subarray(offset, offset + length)
    offset += length
    return { start, end, audio }
  })
}

const toFloat = (pcm: Int16Array) => Float32Array.from(pcm, (s) => s / 32768)

/** A wake heard locally, with the audio that goes to the cloud for it. */
interface Woken {
  readonly at: number
  readonly score: number
  readonly utterance: Int16Array
}

/** What the wake-word stage hands to the transcription stage. */
interface Detected {
  readonly woken: ReadonlyArray<Woken>
  readonly inputSeconds: number
  readonly speech: ReadonlyArray<{ readonly start: number; readonly end: number }>
}

/** openWakeWord over each speech segment afresh; after a wake, the utterance that follows it. */
const wakeStage = (options: Options) => {
  const detector = WakeWord.detector(options.wake)
  const minSeconds = options.minUtteranceSeconds ?? 1
  const leadSeconds = options.leadSeconds ?? 0
  return Stage.make("infer", {
    name: "wake-word",
    run: (gated: VoiceGate.Gated) =>
      Effect.gen(function* () {
        const speech = speechSegments(gated)
        const woken: Array<Woken> = []
        for (let k = 0; k < speech.length; k++) {
          const segment = speech[k]!
          // Each segment is heard afresh: it does not follow the speech before it.
          const detection = yield* Pipeline.run(
            detector,
            WakeWord.input(toFloat(segment.audio), segment.start),
          )
          const wake = detection.wakes[0]
          if (wake === undefined) continue
          // The utterance: the rest of this segment, and the next one if that is too short.
          const from = Math.max(
            0,
            Math.min(
              segment.audio.length,
              Math.round((wake.at - leadSeconds - segment.start) * MODEL_RATE),
            ),
          )
          const parts = [segment.audio.subarray(from)]
          if (parts[0]!.length < minSeconds * MODEL_RATE && k + 1 < speech.length) {
            parts.push(speech[k + 1]!.audio)
            k++
          }
          const utterance = new Int16Array(parts.reduce((n, p) => n + p.length, 0))
          let at = 0
          for (const part of parts) {
            utterance.set(part, at)
            at += part.length
          }
          woken.push({ at: wake.at, score: wake.score, utterance })
        }
        return {
          woken,
          inputSeconds: gated.samples / MODEL_RATE,
          speech: speech.map(({ start, end }) => ({ start, end })),
        } satisfies Detected
      }),
  })
}

/** Each wake's utterance to the cloud's transcription; a failure marks that wake degraded. */
const transcribeStage = (options: Options) =>
  Stage.make("escalate", {
    name: "transcribe",
    run: (detected: Detected) =>
      Effect.gen(function* () {
        const wakes: Array<Heard> = []
        let sent = 0
        for (const { at, score, utterance } of detected.woken) {
          const seconds = utterance.length / MODEL_RATE
          const heard = yield* CloudModel.transcribe({
            audio: VoiceGate.toWav(utterance),
            filename: "utterance.wav",
            model: options.transcriptionModel,
            language: options.language,
          }).pipe(
            Effect.map((answer) => ({ transcript: answer.text.trim(), degraded: false })),
            Effect.catch((error) =>
              Effect.succeed({ transcript: undefined, degraded: true, reason: error.message }),
            ),
          )
          // Only a transcribed utterance counts as delivered.
          if (!heard.degraded) sent += seconds
          wakes.push({ at, score, audioSeconds: seconds, ...heard })
        }
        return {
          wakes,
          audioSentSeconds: sent,
          inputSeconds: detected.inputSeconds,
          segments: detected.speech.length,
          speech: detected.speech,
        } satisfies Result
      }),
  })

/** The assistant as a pipeline: a WAV's bytes in, the wakes and what the cloud heard out. */
export type Assistant = Pipeline.Pipeline<
  Uint8Array,
  Result,
  Exclude<AssistantError, InputValidationError>,
  Infer.InferServices | CloudModel.CloudModel
>

/** The voice gate's stages, then `wake-word` (infer) and `transcribe` (escalate). */
export const pipeline = (options: Options): Assistant => {
  const gate = VoiceGate.fromWav({ padMs: 300, ...options.gate })
  // The gate's stages keep their order and types; only the overloads cannot see through the spread.
  const make = Pipeline.make as (name: string, ...stages: Array<Stage.Any>) => Pipeline.Any
  return make(
    "voice-assistant",
    ...gate.stages,
    wakeStage(options),
    transcribeStage(options),
  ) as Assistant
}

/** Runs the assistant over a WAV file's bytes. */
export const fromWav = (
  wav: Uint8Array,
  options: Options,
): Effect.Effect<Result, AssistantError, Infer.InferServices | CloudModel.CloudModel> =>
  Pipeline.run(pipeline(options), wav)
