/**
 * `edgeline assistant <file.wav>`: the voice assistant over a recording.
 * The gate and the wake word run here; only the utterance after each wake
 * goes to the cloud's `/v1/audio/transcriptions`.
 */
import { readFile } from "node:fs/promises"
import { OpenAiCloudModel } from "@edgeline/core"
import { VoiceAssistant, WakeModels } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import { InputFileError } from "./UsageError.js"

export interface Flags {
  readonly file: string
  readonly cloud: string
  readonly apiKey: string | undefined
  /** The transcription model, e.g. whisper-1 (default: the reference tier's pocketsphinx-en-us). */
  readonly model: string
  readonly threshold: number | undefined
}

export const run = async (flags: Flags): Promise<VoiceAssistant.Result> => {
  const wav = await readFile(flags.file).catch((e: NodeJS.ErrnoException) => {
    throw new InputFileError(
      e.code === "ENOENT"
        ? `${flags.file}: no such file`
        : `${flags.file}: cannot read (${e.code ?? e.message})`,
    )
  })
  const cloud = OpenAiCloudModel.layer({
    baseUrl: flags.cloud,
    apiKey: flags.apiKey,
    model: flags.model,
    transcriptionModel: flags.model,
  })
  return Effect.runPromise(
    VoiceAssistant.fromWav(new Uint8Array(wav), {
      wake: { model: WakeModels.pretrained.heyJarvis, threshold: flags.threshold },
      transcriptionModel: flags.model,
    }).pipe(Effect.provide(Layer.mergeAll(NodeRuntime.layer(), cloud))),
  )
}

/** The JSON the command prints: the documented fields only. */
export const json = (result: VoiceAssistant.Result) => ({
  wakes: result.wakes.map((w) => ({
    at: Math.round(w.at * 1000) / 1000,
    transcript: w.transcript ?? null,
    ...(w.degraded ? { degraded: true } : {}),
  })),
  audioSentSeconds: Math.round(result.audioSentSeconds * 1000) / 1000,
  inputSeconds: Math.round(result.inputSeconds * 1000) / 1000,
})

export const format = (result: VoiceAssistant.Result): string =>
  [
    ...result.wakes.map(
      (w) =>
        `${w.at.toFixed(2)} s  "hey jarvis" → ${w.transcript === undefined ? "(the cloud failed)" : `"${w.transcript}"`}`,
    ),
    `${result.wakes.length} wakes; sent ${result.audioSentSeconds.toFixed(1)} s of ${result.inputSeconds.toFixed(1)} s (${((result.audioSentSeconds / Math.max(result.inputSeconds, 1e-9)) * 100).toFixed(1)}%)`,
  ].join("\n")
