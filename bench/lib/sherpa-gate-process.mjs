// sherpa-onnx-node's whole process for a WAV file: read it, create the
// detector (loads Silero v5), gate it in 512-sample pushes, print the segments
// as JSON. The peer of `edgeline voice-gate file.wav --json` as a process.
import { createSherpaVad, gateSamples, readWave } from "./sherpa-vad.mjs"

const wave = readWave(process.argv[2])
const segments = gateSamples(createSherpaVad(), wave.samples)
process.stdout.write(`${JSON.stringify({ segments })}\n`)
