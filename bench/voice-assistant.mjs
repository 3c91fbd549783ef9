// (p) The voice assistant on the device: milliseconds of device work per
// second of audio with the Silero gate in front of the wake word (the wake
// word hears only speech) and without it (the wake word hears everything),
// and the share of the audio sent to the cloud, on a recording that is
// mostly quiet room and chatter: the flite slt wake fixture (two "hey
// jarvis" commands among distractors) and 40 s of faint noise.
import { readFile } from "node:fs/promises"
import { CloudServer, defaultModels, defaultTranscribers } from "@edgeline/cloud-server"
import { OpenAiCloudModel, Pipeline } from "@edgeline/core"
import { VoiceAssistant, VoiceGate, WakeModels, WakeWord, WavEncode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer, ManagedRuntime } from "effect"
import { num } from "./lib/markdown.mjs"
import { median } from "./lib/stats.mjs"

const RATE = 16_000
const ROUNDS = 5

const recording = async () => {
  const wav = await readFile(
    new URL("../packages/recipes/test/fixtures/wake/flite-slt.wav", import.meta.url),
  )
  const speech = new Int16Array(
    wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.byteLength),
  )
  const quiet = new Int16Array(40 * RATE)
  for (let i = 0; i < quiet.length; i++)
    quiet[i] = Math.round(((Math.sin(i * 12.9898) * 43758.5453) % 1) * 60)
  const pcm = new Int16Array(speech.length + quiet.length)
  pcm.set(speech)
  pcm.set(quiet, speech.length)
  return pcm
}

export const run = async ({ log }) => {
  const pcm = await recording()
  const wav = WavEncode.encodePcm16(pcm, RATE)
  const seconds = pcm.length / RATE
  const floats = Float32Array.from(pcm, (s) => s / 32768)
  const wake = { model: WakeModels.pretrained.heyJarvis }
  const detector = WakeWord.detector(wake)
  const gate = VoiceGate.fromWav({ padMs: 300 })
  const runtime = ManagedRuntime.make(NodeRuntime.layer())
  const time = async (effect) => {
    const t0 = performance.now()
    const out = await runtime.runPromise(effect)
    return { ms: performance.now() - t0, out }
  }
  // The device's part of the assistant: the gate, then the wake word on each segment afresh.
  const gated = Effect.gen(function* () {
    const g = yield* Pipeline.run(gate, wav)
    let offset = 0
    let wakes = 0
    for (const { start, end } of g.segments) {
      const length = Math.round((end - start) * RATE)
      const audio = Float32Array.from(g.speech.subarray(offset, offset + length), (s) => s / 32768)
      offset += length
      wakes += (yield* Pipeline.run(detector, WakeWord.input(audio, start))).wakes.length
    }
    return wakes
  })
  const ungated = Effect.map(
    Pipeline.run(detector, WakeWord.input(floats, 0)),
    (d) => d.wakes.length,
  )
  log(`voice-assistant: ${seconds.toFixed(1)} s recording, ${ROUNDS} interleaved rounds`)
  await time(gated)
  await time(ungated)
  const withGate = []
  const withoutGate = []
  let wakesGated = 0
  let wakesUngated = 0
  for (let r = 0; r < ROUNDS; r++) {
    const a = await time(gated)
    const b = await time(ungated)
    withGate.push(a.ms / seconds)
    withoutGate.push(b.ms / seconds)
    wakesGated = a.out
    wakesUngated = b.out
  }
  await runtime.dispose()

  log("voice-assistant: the whole loop with the cloud tier's PocketSphinx, for the audio sent")
  const models = await defaultModels()
  const transcribers = await defaultTranscribers()
  const server = await CloudServer.start({ models, transcribers })
  let result
  try {
    result = await Effect.runPromise(
      VoiceAssistant.fromWav(wav, { wake }).pipe(
        Effect.provide(
          Layer.mergeAll(
            NodeRuntime.layer(),
            OpenAiCloudModel.layer({
              baseUrl: `${server.url}/v1`,
              model: "message-triage-teacher",
              transcriptionModel: "pocketsphinx-en-us",
            }),
          ),
        ),
      ),
    )
  } finally {
    await server.close()
    for (const m of [...models, ...transcribers]) await m.close?.()
  }
  const gatedMs = median(withGate)
  const ungatedMs = median(withoutGate)
  const share = result.audioSentSeconds / result.inputSeconds
  const ok = share <= 0.15
  return {
    id: "voice-assistant",
    title: "(p) Voice assistant: device work with and without the gate; audio sent",
    summary: `A ${seconds.toFixed(1)} s recording, mostly quiet: flite's slt voice saying two "hey jarvis" commands among three distractors, then 40 s of faint noise. Device work: Silero gate (300 ms padding) then openWakeWord "hey jarvis" on each speech segment afresh, against openWakeWord on the whole recording; onnxruntime-node, ${ROUNDS} interleaved rounds, median. Audio sent: the assistant's whole loop with the reference cloud tier's PocketSphinx on loopback.`,
    headline: `${num(gatedMs, 2)} ms/s with the gate vs ${num(ungatedMs, 2)} ms/s without; ${(share * 100).toFixed(1)}% of the audio sent`,
    target: "≤ 15% of the audio sent",
    status: ok ? "PASS" : "FAIL",
    rows: [
      {
        measure: "device ms per audio second, gate + wake word on speech only",
        value: `${num(gatedMs, 2)} ms (${wakesGated} wakes)`,
      },
      {
        measure: "device ms per audio second, wake word on all audio",
        value: `${num(ungatedMs, 2)} ms (${wakesUngated} wakes)`,
      },
      { measure: "with gate ÷ without", value: `${num(gatedMs / ungatedMs, 2)}×` },
      {
        measure: "audio sent to the cloud",
        value: `${result.audioSentSeconds.toFixed(2)} s of ${result.inputSeconds.toFixed(2)} s (${(share * 100).toFixed(1)}%)`,
        target: "≤ 15%",
        result: ok ? "PASS" : "FAIL",
      },
      { measure: "transcripts", value: result.wakes.map((w) => `"${w.transcript}"`).join(", ") },
    ],
    notes: [
      "The gate's own cost (Silero on every 32 ms frame) is in the first row; the wake word's feature models (melspectrogram, embedding) are what it saves on non-speech.",
    ],
    raw: { withGate, withoutGate, seconds, result },
  }
}
