// The native peer for the issue-13 benchmarks: sherpa-onnx-node's
// VoiceActivityDetector (its C++ Silero loop, one thread) on the same Silero v5
// file the gate loads, with the gate's own segment rules where sherpa has one
// (threshold 0.5, 250 ms shortest speech, 100 ms shortest silence).
import { createRequire } from "node:module"
import * as SileroModel from "@edgeline/model-silero-vad"

const require = createRequire(import.meta.url)
const sherpa = require("sherpa-onnx-node")

/** The Silero v5 file of `@edgeline/model-silero-vad` (the gate pins the same sha256); importing the model package, not the recipes, keeps this process as light as sherpa's own. */
export const MODEL_PATH = require.resolve(SileroModel.specifier)

export const WINDOW = 512
export const SAMPLE_RATE = 16_000

/** A detector with the gate's rules; `bufferSeconds` bounds what it holds between pops. */
export const createSherpaVad = ({ bufferSeconds = 120 } = {}) =>
  new sherpa.Vad(
    {
      sileroVad: {
        model: MODEL_PATH,
        threshold: 0.5,
        minSpeechDuration: 0.25,
        minSilenceDuration: 0.1,
        windowSize: WINDOW,
      },
      sampleRate: SAMPLE_RATE,
      debug: false,
      numThreads: 1,
    },
    bufferSeconds,
  )

/** Moves the segments sherpa has finished into `out` as `{ start, end }` seconds. */
export const drain = (vad, out) => {
  while (!vad.isEmpty()) {
    const s = vad.front(false)
    out.push({ start: s.start / SAMPLE_RATE, end: (s.start + s.samples.length) / SAMPLE_RATE })
    vad.pop()
  }
  return out
}

/** A whole 16 kHz recording through `vad` in 512-sample pushes, as sherpa's examples feed it. */
export const gateSamples = (vad, samples) => {
  const segments = []
  for (let i = 0; i < samples.length; i += WINDOW) {
    vad.acceptWaveform(samples.subarray(i, i + WINDOW))
    drain(vad, segments)
  }
  vad.flush()
  drain(vad, segments)
  vad.reset()
  return segments
}

export const readWave = (path) => sherpa.readWave(path)
