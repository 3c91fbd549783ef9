// How long the gate's WAV decoder takes on 60 s of 16 kHz audio, in the
// common encodings (16-bit and 32-bit float, little endian, mono and stereo),
// whole and (when the decoder streams) in 64 KiB pieces. A quick check, not
// part of `npm run bench`: `node bench/wav-decode.mjs` after a build. Needs sox.
// To compare with another build, pass its dist entry:
// `node bench/wav-decode.mjs /elsewhere/packages/recipes/dist/index.js`.
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Pipeline } from "@edgeline/core"
import { Effect } from "effect"

const { WavDecode } = await import(process.argv[2] ?? "@edgeline/recipes")

const fixture = new URL(
  "../packages/recipes/test/fixtures/conversation-16k-mono.wav",
  import.meta.url,
).pathname
const ROUNDS = 100
const PIECE = 64 * 1024

const dir = mkdtempSync(join(tmpdir(), "wav-decode-"))
/** The 12 s fixture repeated to 60 s, re-encoded by sox. */
const make = (name, ...encoding) => {
  const file = join(dir, `${name}.wav`)
  execFileSync("sox", [fixture, ...encoding, file, "repeat", "4"])
  return new Uint8Array(readFileSync(file))
}
const files = {
  "16-bit mono": make("i16-mono"),
  "16-bit stereo": make("i16-stereo", "-c", "2"),
  "float mono": make("f32-mono", "-e", "floating-point", "-b", "32"),
  "float stereo": make("f32-stereo", "-e", "floating-point", "-b", "32", "-c", "2"),
}
rmSync(dir, { recursive: true })

const median = (values) => values.sort((a, b) => a - b)[values.length >> 1]

const time = async (run) => {
  const ms = []
  for (let i = 0; i < ROUNDS + 5; i++) {
    const start = performance.now()
    await run()
    if (i >= 5) ms.push(performance.now() - start) // the first rounds warm the JIT up
  }
  return median(ms)
}

const streaming = WavDecode.stage.concat !== undefined
const decoder = Pipeline.make("wav-decode-only", WavDecode.stage)

/** Pushes the file in PIECE-byte pieces through one opened decoder. */
const pieces = (bytes) =>
  Effect.gen(function* () {
    const session = Pipeline.open(decoder)
    for (let at = 0; at < bytes.length; at += PIECE) {
      yield* session.push(bytes.subarray(at, at + PIECE))
    }
    yield* session.end()
  })

console.log(`decode of 60 s at 16 kHz, median of ${ROUNDS} (${process.version})`)
for (const [name, bytes] of Object.entries(files)) {
  const whole = await time(() => Effect.runPromise(WavDecode.decode(bytes)))
  const line = [`${name.padEnd(14)} whole ${whole.toFixed(2)} ms`]
  if (streaming) {
    const streamed = await time(() => Effect.runPromise(pieces(bytes)))
    line.push(`in 64 KiB pieces ${streamed.toFixed(2)} ms`)
  }
  console.log(line.join(", "))
}
