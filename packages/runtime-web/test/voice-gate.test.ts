/**
 * The proof of "unchanged": the recipes' voice-gate object runs in a Chromium
 * Web Worker on the same recordings as the Node tests, and agrees with
 * onnxruntime-node (computed in Node by the global setup).
 */
import type { VoiceGate } from "@edgeline/recipes"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { commands } from "vitest/browser"
import { connectWorker } from "../src/index.js"

const fixtures = import.meta.glob("../../recipes/test/fixtures/*.wav", {
  query: "?url",
  import: "default",
  eager: true,
}) as Record<string, string>

const FRAME_SECONDS = 512 / 16000

const startWorker = () =>
  connectWorker<typeof VoiceGate.file>(
    new Worker(new URL("./gate.worker.ts", import.meta.url), { type: "module" }),
  )

describe("the voice gate in a Chromium Web Worker", () => {
  const reference = inject("nodeReference")
  let runner: ReturnType<typeof startWorker>

  beforeAll(async () => {
    await commands.startRequestLog()
    runner = startWorker()
  })
  afterAll(() => runner.close())

  it("has every fixture the Node tests use", () => {
    expect(Object.keys(fixtures).length).toBe(Object.keys(reference).length)
    expect(Object.keys(fixtures).length).toBeGreaterThanOrEqual(4)
  })

  for (const [path, url] of Object.entries(fixtures)) {
    const name = path.split("/").pop()!
    it(`${name}: same segments and probabilities as onnxruntime-node`, async () => {
      const node = reference[name]!
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer())
      const gated = await runner.run(bytes)

      expect(gated.probabilities.length).toBe(node.probabilities.length)
      let worst = 0
      gated.probabilities.forEach((p, i) => {
        worst = Math.max(worst, Math.abs(p - node.probabilities[i]!))
      })
      console.log(`${name}: max |p(web) - p(node)| = ${worst.toExponential(2)}`)
      expect(worst).toBeLessThan(1e-3)

      expect(gated.segments.length).toBe(node.segments.length)
      gated.segments.forEach((s, i) => {
        expect(Math.abs(s.start - node.segments[i]!.start)).toBeLessThanOrEqual(FRAME_SECONDS)
        expect(Math.abs(s.end - node.segments[i]!.end)).toBeLessThanOrEqual(FRAME_SECONDS)
      })
      expect(gated.bytesIn).toBe(node.bytesIn)
    })
  }

  it("on WebGPU too (SwiftShader here): the same probabilities and segments as Node", async () => {
    const gpu = connectWorker<typeof VoiceGate.file>(
      new Worker(new URL("./gate.worker.ts", import.meta.url), { type: "module", name: "webgpu" }),
    )
    try {
      const [path, url] = Object.entries(fixtures)[0]!
      const node = reference[path.split("/").pop()!]!
      const gated = await gpu.run(new Uint8Array(await (await fetch(url)).arrayBuffer()))
      let worst = 0
      gated.probabilities.forEach((p, i) => {
        worst = Math.max(worst, Math.abs(p - node.probabilities[i]!))
      })
      console.log(`webgpu: max |p(web) - p(node)| = ${worst.toExponential(2)}`)
      expect(worst).toBeLessThan(1e-3)
      expect(gated.segments.length).toBe(node.segments.length)
      gated.segments.forEach((s, i) => {
        expect(Math.abs(s.start - node.segments[i]!.start)).toBeLessThanOrEqual(FRAME_SECONDS)
        expect(Math.abs(s.end - node.segments[i]!.end)).toBeLessThanOrEqual(FRAME_SECONDS)
      })
    } finally {
      await gpu.close()
    }
    // SwiftShader runs WebGPU on the CPU: about 50 s alone, over 120 s while
    // CI's other suites share the two cores. Speed is not what this checks.
  }, 360_000)

  it("transfers the input to the worker instead of copying it", async () => {
    const url = Object.values(fixtures)[0]!
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer())
    const gated = await runner.run(bytes)
    expect(bytes.byteLength).toBe(0)
    expect(gated.speech.byteLength).toBe(gated.bytesOut)
  })

  it("requested nothing but localhost: page, workers, ORT's wasm, the model", async () => {
    const requests: Array<string> = await commands.requestLog()
    expect(requests.some((u) => u.includes(".wasm"))).toBe(true)
    expect(requests.some((u) => u.includes("silero_vad_v5.onnx"))).toBe(true)
    const outside = requests.filter(
      (u) => !/^(https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/|data:|blob:)/.test(u),
    )
    expect(outside).toEqual([])
  })
})
