/**
 * The live voice gate and a new version of its model, published while a
 * stream is open (as `@edgeline/sync` will publish one): the stream takes it
 * after a silent chunk (Silero's `switchAt`), never in the middle of speech,
 * and the old onnxruntime session is released once the stream lets go.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join } from "node:path"
import { createRunner, ModelRef, ModelSource, type Runner } from "@edgeline/core"
import { type Audio, VoiceGate } from "@edgeline/recipes"
import { OnnxBackend } from "@edgeline/runtime-node"
import { Effect, Exit, Layer, Scope } from "effect"
import * as ort from "onnxruntime-node"
import { afterEach, describe, expect, it, vi } from "vitest"
import { FIXTURES_DIR } from "./support/fixtures.js"

/** `vi.waitFor` with room for a loaded CI machine (its default gives up after 1 s). */
const settled = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 20_000, interval: 10 })

const RATE = 16_000
const sileroPath = createRequire(import.meta.url).resolve(
  "@edgeline/model-silero-vad/silero_vad_v5.onnx",
)
/** A fleet's name for the model: no pinned hash, its versions come from the source. */
const fleetVad = ModelRef.make("vad", "fleet:vad")

/** Silero's bytes, and the same network with an empty `doc_string` (protobuf field 6) appended: another version. */
const versions = async () => {
  const v1 = new Uint8Array(await readFile(sileroPath))
  const v2 = new Uint8Array(v1.length + 2)
  v2.set(v1)
  v2.set([0x32, 0x00], v1.length)
  return { v1, v2 }
}

/** Seconds of the conversation fixture, as 16 kHz float samples (its 16-bit PCM data chunk). */
const speech = async (from: number, to: number): Promise<Audio.AudioChunk> => {
  const wav = await readFile(join(FIXTURES_DIR, "conversation-16k-mono.wav"))
  const data = wav.indexOf("data") + 8
  const pcm = new Int16Array(
    wav.buffer.slice(
      wav.byteOffset + data,
      wav.byteOffset + wav.length - ((wav.length - data) % 2),
    ),
  )
  const samples = Float32Array.from(pcm.subarray(from * RATE, to * RATE), (s) => s / 32768)
  return { samples, sampleRate: RATE }
}

const silence = (seconds: number): Audio.AudioChunk => ({
  samples: new Float32Array(seconds * RATE),
  sampleRate: RATE,
})

const scopes: Array<Scope.Closeable> = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

const setup = async () => {
  const { v1, v2 } = await versions()
  const scope = Scope.makeUnsafe()
  scopes.push(scope)
  const source = Effect.runSync(
    Scope.provide(ModelSource.memory({ vad: { bytes: v1, version: "1" } }), scope),
  )
  const runner = await createRunner(VoiceGate.live({ model: fleetVad }), {
    layer: Layer.mergeAll(OnnxBackend.layer(), Layer.succeed(ModelSource.ModelSource, source)),
  })
  const observed: Array<Runner.Observation> = []
  runner.observe((o) => observed.push(o), { intervalMs: 0 })
  const publishV2 = async () => {
    await Effect.runPromise(source.publish("vad", { bytes: v2, version: "2" }))
    await settled(() =>
      expect(observed.at(-1)?.models).toContainEqual(
        expect.objectContaining({ name: "vad", version: "2", event: "Swapped" }),
      ),
    )
  }
  const released = vi.spyOn(
    (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype,
    "release",
  )
  return { runner, publishV2, released }
}

describe("the live gate and a new model version", () => {
  it("switches after a silent chunk: the old session is released while the stream goes on", async () => {
    const { runner, publishV2, released } = await setup()
    const stream = await runner.open()
    await stream.push(silence(1))
    await publishV2()
    expect(released).not.toHaveBeenCalled() // the open stream still holds version 1
    await stream.push(silence(0.5)) // the last chunk was silent: a safe point
    await settled(() => expect(released).toHaveBeenCalledTimes(1))
    const talk = await stream.push(await speech(0.5, 3.5))
    const tail = await stream.end()
    expect([talk, ...tail].flatMap((g) => g.segments).length).toBeGreaterThan(0)
    await runner.close()
  })

  it("does not switch in the middle of speech: version 1 serves until the stream ends", async () => {
    const { runner, publishV2, released } = await setup()
    const stream = await runner.open()
    await stream.push(await speech(0.5, 2))
    await publishV2()
    await stream.push(await speech(2, 3.2)) // still speech: no safe point
    expect(released).not.toHaveBeenCalled()
    await stream.end()
    await settled(() => expect(released).toHaveBeenCalledTimes(1))
    await runner.close()
  })
})
