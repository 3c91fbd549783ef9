/**
 * The Web Worker transport: the same core code as Node's worker_threads
 * offload, here over a real browser Worker.
 */
import { CancelledError, type Progress, type Runner, WorkerError } from "@edgeline/core"
import { VoiceGate, WavDecodeError } from "@edgeline/recipes"
import { afterAll, describe, expect, it, vi } from "vitest"
import conversationUrl from "../../recipes/test/fixtures/conversation-16k-mono.wav?url"
import { connectWorker } from "../src/index.js"
import type { Upper } from "./built.worker.js"

/** `vi.waitFor` with room for a loaded CI machine (its default gives up after 1 s). */
const settled = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 20_000, interval: 10 })

const gateWorker = () =>
  new Worker(new URL("./gate.worker.ts", import.meta.url), { type: "module" })
const recording = async () => new Uint8Array(await (await fetch(conversationUrl)).arrayBuffer())

/** Two minutes of speech: the 12 s recording (16 kHz PCM16 after its 44-byte header) ten times. */
const longRecording = async () => {
  const pcm = new Int16Array((await recording()).slice(44).buffer)
  const long = new Int16Array(pcm.length * 10)
  for (let i = 0; i < 10; i++) long.set(pcm, i * pcm.length)
  return VoiceGate.toWav(long)
}

describe("connectWorker / serveWorker in Chromium", () => {
  const runner = connectWorker<typeof VoiceGate.file>(gateWorker(), { errors: [WavDecodeError] })
  afterAll(() => runner.close())

  it("delivers progress from the worker before the result", async () => {
    const events: Array<Progress.Event> = []
    const gated = await runner.run(await recording(), { onProgress: (e) => events.push(e) })
    expect(gated.segments.length).toBeGreaterThan(0)
    const vad = events.filter((e) => e.scope === "stage" && e.name === "silero-vad")
    expect(vad.at(-1)).toEqual({ scope: "stage", name: "silero-vad", done: 375, total: 375 })
    expect(
      events.filter((e) => e.scope === "pipeline" && e.name === "voice-gate").at(-1)?.done,
    ).toBe(6)
  })

  it("an AbortSignal cancels a run in the worker, which stays usable", async () => {
    const controller = new AbortController()
    const events: Array<number> = []
    const run = runner.run(await longRecording(), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.name !== "silero-vad") return
        events.push(e.done)
        controller.abort()
      },
    })
    await expect(run).rejects.toBeInstanceOf(CancelledError)
    // Stopped long before the 3750 frames were done.
    expect(Math.max(...events)).toBeLessThan(3750)
    const again = await runner.run(await recording())
    expect(again.segments.length).toBeGreaterThan(0)
  })

  it("observe() hears the worker's runs, model and close, pushed from the Web Worker", async () => {
    const observed = connectWorker<typeof VoiceGate.file>(gateWorker())
    const seen: Array<Runner.Observation> = []
    try {
      observed.observe((o) => seen.push(o), { intervalMs: 0 })
      const gated = await observed.run(await recording())
      expect(gated.segments.length).toBeGreaterThan(0)
      const vad = () => seen.at(-1)?.stages.find((s) => s.stage === "silero-vad")
      await settled(() => expect(vad()?.count).toBe(1))
      expect(seen[0]).toMatchObject({ status: "idle", calls: 0, models: [] })
      expect(seen.some((o) => o.status === "running" && o.calls === 1)).toBe(true)
      expect(seen.at(-1)).toMatchObject({ status: "idle", calls: 0 })
      expect(seen.at(-1)!.stages.map((s) => s.count)).toEqual([1, 1, 1, 1, 1, 1])
      expect(vad()!.lastMs).toBeGreaterThan(0)
      expect(seen.at(-1)!.models).toEqual([
        expect.objectContaining({ name: "silero_vad_v5", event: "Loaded" }),
      ])
    } finally {
      await observed.close()
    }
    expect(seen.at(-1)).toMatchObject({ status: "closed", calls: 0 })
  })

  it("a typed error arrives as its class, with its fields", async () => {
    const error = await runner.run(new TextEncoder().encode("not audio at all")).catch((e) => e)
    expect(error).toBeInstanceOf(WavDecodeError)
    expect(error._tag).toBe("WavDecodeError")
    expect(error.problem).toBe("not-wav")
  })

  it("an unregistered typed error still arrives with its _tag", async () => {
    const bare = connectWorker<typeof VoiceGate.file>(gateWorker())
    try {
      const error = await bare.run(new Uint8Array([1, 2, 3])).catch((e) => e)
      expect(error).toBeInstanceOf(Error)
      expect(error._tag).toBe("WavDecodeError")
    } finally {
      await bare.close()
    }
  })

  it("a worker whose script fails to load rejects calls with WorkerError", async () => {
    const broken = connectWorker<typeof VoiceGate.file>(
      new Worker(new URL("./no-such-worker.ts", import.meta.url), { type: "module" }),
    )
    await expect(broken.run(new Uint8Array(8))).rejects.toBeInstanceOf(WorkerError)
    await broken.close()
  })

  it("serves a pipeline an Effect builds: calls sent while it builds are held, then answered", async () => {
    const built = connectWorker<Upper>(
      new Worker(new URL("./built.worker.ts", import.meta.url), { type: "module", name: "slow" }),
    )
    try {
      // Sent at once; the worker takes half a second to build the pipeline.
      const answers = await Promise.all(["first", "second"].map((text) => built.run(text)))
      expect(answers).toEqual(["FIRST", "SECOND"])
      expect(await built.run("later")).toBe("LATER")
    } finally {
      await built.close()
    }
  })

  it("a build that fails rejects the calls with WorkerError, naming its error", async () => {
    const failing = connectWorker<Upper>(
      new Worker(new URL("./built.worker.ts", import.meta.url), {
        type: "module",
        name: "failing",
      }),
    )
    try {
      const error = await failing.run("first").catch((e) => e)
      expect(error).toBeInstanceOf(WorkerError)
      expect(error.message).toContain("NoModelError: no model for this device")
      await expect(failing.run("again")).rejects.toBeInstanceOf(WorkerError)
    } finally {
      await failing.close()
    }
  })
})
