// The voice gate's job written as a bare onnxruntime-node script, the
// baseline for the whole-process benchmark: read a 16 kHz mono PCM16 WAV,
// score every 512-sample frame with Silero v5 (64-sample context, state
// carried, a last partial frame zero-padded, one thread), cut segments with
// the gate's rules (threshold 0.5, end after 100 ms below 0.35, drop under
// 250 ms, 30 ms padding), print them as JSON. No framework, no effect: only
// what such a script must load.
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import * as ort from "onnxruntime-node"

const FRAME = 512
const CONTEXT = 64
const RATE = 16000
const modelPath = createRequire(import.meta.url).resolve(
  "@edgeline/model-silero-vad/silero_vad_v5.onnx",
)

const [bytes, session] = await Promise.all([
  readFile(process.argv[2]),
  readFile(modelPath).then((model) =>
    ort.InferenceSession.create(model, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    }),
  ),
])

// The bench's recording: a canonical 44-byte header, then 16-bit samples.
const view = new DataView(bytes.buffer, bytes.byteOffset + 44, bytes.byteLength - 44)
const samples = new Float32Array(view.byteLength >> 1)
for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(2 * i, true) / 32768

const count = Math.ceil(samples.length / FRAME)
const window = new Float32Array(CONTEXT + FRAME)
const feeds = {
  input: new ort.Tensor("float32", window, [1, CONTEXT + FRAME]),
  state: new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]),
  sr: new ort.Tensor("int64", BigInt64Array.of(BigInt(RATE)), []),
}
const segments = []
const pad = (30 * RATE) / 1000
const minSilence = (100 * RATE) / 1000
const minSpeech = (250 * RATE) / 1000
let start = -1
let silenceFrom = -1
let lastEnd = 0
const close = (end) => {
  if (end - start >= minSpeech) {
    const from = Math.max(lastEnd, start - pad, 0)
    const to = Math.min(end + pad, samples.length)
    segments.push({ start: from / RATE, end: to / RATE })
    lastEnd = to
  }
  start = -1
  silenceFrom = -1
}
for (let i = 0; i < count; i++) {
  const frame = samples.subarray(i * FRAME, (i + 1) * FRAME)
  if (frame.length < FRAME) window.fill(0, CONTEXT)
  window.set(frame, CONTEXT)
  const out = await session.run(feeds)
  feeds.state = out.stateN
  window.copyWithin(0, FRAME)
  const p = out.output.data[0]
  const at = i * FRAME
  if (p >= 0.5) {
    silenceFrom = -1
    if (start < 0) start = at
  } else if (p < 0.35 && start >= 0) {
    if (silenceFrom < 0) silenceFrom = at
    if (Math.min(at + FRAME, samples.length) - silenceFrom >= minSilence) close(silenceFrom)
  }
}
if (start >= 0) close(samples.length)
process.stdout.write(`${JSON.stringify({ segments, durationSec: samples.length / RATE })}\n`)
