import { Worker } from "node:worker_threads"
import {
  CancelledError,
  createRunner,
  ModelNotFoundError,
  type Progress,
  type Runner,
  WorkerError,
} from "@edgeline/core"
import { afterEach, describe, expect, it, vi } from "vitest"
import { connectWorker, NodeRuntime } from "../src/index.js"
import type { ConnectOptions } from "../src/NodeWorker.js"
import { audio, GateError, type pipelines, vad } from "./fixtures/pipelines.mjs"

/** `vi.waitFor` with room for a loaded CI machine (its default gives up after 1 s). */
const settled = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 20_000, interval: 10 })

const entry = new URL("./fixtures/worker.mjs", import.meta.url)

type Pipelines = typeof pipelines
const open: Array<Runner.Runner<any, any>> = []

/** Starts the worker fixture serving the named pipeline; closed after each test. */
const start = <K extends keyof Pipelines>(pipeline: K, options: ConnectOptions = {}) => {
  const runner = connectWorker<Pipelines[K]>(entry, {
    ...options,
    worker: { workerData: { pipeline } },
  })
  open.push(runner)
  return runner
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((runner) => runner.close()))
})

const concat = (parts: ReadonlyArray<Float32Array>) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

describe("connectWorker / serveWorker", () => {
  it("runs Silero in the worker with the same result as createRunner in-process", async () => {
    const samples = audio(24)
    const local = await createRunner(vad, { layer: NodeRuntime.layer() })
    try {
      const expected = await local.run(samples.slice())
      const remote = start("vad")
      const actual = await remote.run(samples.slice())
      expect(actual.probabilities).toBeInstanceOf(Float32Array)
      expect(actual.probabilities).toHaveLength(24)
      expect(Array.from(actual.probabilities)).toEqual(Array.from(expected.probabilities))
      // Not trivially equal: the tone and quiet halves score differently.
      expect(new Set(actual.probabilities).size).toBeGreaterThan(1)
      // Stage timings come back from the worker too.
      const timings = await remote.timings()
      expect(timings.map((t) => [t.stage, t.kind, t.count])).toEqual([["silero", "infer", 1]])
    } finally {
      await local.close()
    }
  })

  it("observe() hears the worker's Silero runs, its model and its close, pushed from the worker", async () => {
    const remote = start("vad")
    const seen: Array<Runner.Observation> = []
    // Every change, so the short run's "running" is not coalesced away.
    remote.observe((o) => seen.push(o), { intervalMs: 0 })
    await settled(() => expect(seen.length).toBeGreaterThan(0))
    expect(seen[0]).toMatchObject({ status: "idle", calls: 0, models: [] })
    expect(seen[0]!.stages).toMatchObject([{ stage: "silero", kind: "infer", count: 0 }])

    expect((await remote.run(audio(24))).probabilities).toHaveLength(24)
    await settled(() => expect(seen.at(-1)?.stages[0]?.count).toBe(1))
    expect(seen.some((o) => o.status === "running" && o.calls === 1)).toBe(true)
    const after = seen.at(-1)!
    expect(after).toMatchObject({ status: "idle", calls: 0 })
    expect(after.stages[0]).toMatchObject({ stage: "silero", count: 1, failures: 0 })
    expect(after.stages[0]!.lastMs).toBeGreaterThan(0)
    expect(after.models).toEqual([
      expect.objectContaining({ name: "silero_vad_v5", event: "Loaded" }),
    ])

    await remote.close()
    expect(seen.at(-1)).toMatchObject({ status: "closed", calls: 0 })
    expect(seen.filter((o) => o.status === "closed")).toHaveLength(1)
  })

  it("load() loads the model in the worker before any input, and a missing one fails typed", async () => {
    const remote = start("vad")
    const events: Array<Progress.Event> = []
    await remote.load({ onProgress: (e) => events.push(e) })
    expect(events).toEqual([{ scope: "load", name: "vad", done: 1, total: 1 }])
    expect((await remote.timings()).map((t) => t.count)).toEqual([0])
    expect((await remote.run(audio(3))).probabilities).toHaveLength(3)

    const error = await start("missing")
      .load()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect((error as ModelNotFoundError).model).toBe("absent")
  })

  it("forwards progress events from the worker to onProgress", async () => {
    const remote = start("vad")
    const events: Array<Progress.Event> = []
    const result = await remote.run(audio(5), { onProgress: (e) => events.push(e) })
    expect(result.probabilities).toHaveLength(5)
    const silero = events.filter((e) => e.scope === "stage" && e.name === "silero")
    expect(silero.map((e) => e.done)).toEqual([1, 2, 3, 4, 5])
    expect(silero.every((e) => e.total === 5)).toBe(true)
    expect(events).toContainEqual({ scope: "pipeline", name: "vad", done: 1, total: 1 })
  })

  it("cancels a long run when the AbortSignal fires: CancelledError, and the worker stays usable", async () => {
    const remote = start("slow")
    const controller = new AbortController()
    let abortedAt = 0
    const pending = remote.run(
      { steps: 200, stepMs: 50 }, // 10 s if not cancelled
      {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.done === 2) {
            abortedAt = Date.now()
            controller.abort()
          }
        },
      },
    )
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError)._tag).toBe("CancelledError")
    // Timed from the abort, not the start: starting the worker can take
    // seconds on a busy machine. The uncancelled rest would take 9.9 s.
    expect(abortedAt).toBeGreaterThan(0)
    expect(Date.now() - abortedAt).toBeLessThan(5_000)
    await expect(remote.run({ steps: 2, stepMs: 1 })).resolves.toBe(2)
  })

  it("rejects at once when the signal is already aborted", async () => {
    const remote = start("slow")
    await expect(
      remote.run({ steps: 1, stepMs: 1 }, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(CancelledError)
  })

  it("delivers a typed error from the worker with its _tag, and as its class when registered", async () => {
    const plain = start("fail")
    const untyped = await plain.run({ code: 7 }).catch((e: unknown) => e)
    expect(untyped).toBeInstanceOf(Error)
    expect(untyped).not.toBeInstanceOf(GateError)
    expect(untyped).toMatchObject({ _tag: "GateError", code: 7, message: "refused with code 7" })

    const registered = start("fail", { errors: [GateError] })
    const typed = await registered.run({ code: 9 }).catch((e: unknown) => e)
    expect(typed).toBeInstanceOf(GateError)
    expect((typed as GateError)._tag).toBe("GateError")
    expect((typed as GateError).code).toBe(9)
    expect((typed as GateError).message).toBe("refused with code 9")
  })

  it("transfers input ArrayBuffers (the caller's become detached) and returns outputs intact", async () => {
    const remote = start("bytes")
    const data = Float32Array.from({ length: 4096 }, (_, i) => i % 7)
    const sum = data.reduce((a, b) => a + b, 0)
    const out = await remote.run({ label: "frame", data })
    expect(data.byteLength).toBe(0)
    expect(data.buffer.byteLength).toBe(0)
    expect(out.label).toBe("frame")
    expect(out.length).toBe(4096)
    expect(out.sum).toBe(sum)
    expect(out.doubled).toBeInstanceOf(Float32Array)
    expect(out.doubled).toHaveLength(4096)
    expect(out.doubled[0]).toBe(0)
    expect(out.doubled[13]).toBe(12)

    // With transferInput: false the caller keeps its buffer.
    const copying = start("bytes", { transferInput: false })
    const kept = Float32Array.from([1, 2, 3])
    await expect(copying.run({ label: "kept", data: kept })).resolves.toMatchObject({
      sum: 6,
      length: 3,
    })
    expect(kept.byteLength).toBe(12)
  })

  it("refuses an input buffer an earlier call transferred, saying so and how to keep it", async () => {
    const remote = start("bytes")
    const data = Float32Array.from([1, 2, 3])
    await expect(remote.run({ label: "first", data })).resolves.toMatchObject({ sum: 6 })
    const error = await remote.run({ label: "again", data }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerError)
    const message = (error as WorkerError).message
    expect(message).toMatch(
      /^input\.data is empty: its ArrayBuffer was transferred to the worker by an earlier call/,
    )
    expect(message).toContain("pass a copy")
    expect(message).toContain("{ transfer: false }")
    expect(message).toContain("transferInput: false")
    // The runner is fine: a fresh buffer goes through.
    await expect(
      remote.run({ label: "fresh", data: Float32Array.from([4]) }),
    ).resolves.toMatchObject({ sum: 4 })
  })

  it("keeps the caller's buffer for one call with { transfer: false }", async () => {
    const remote = start("bytes")
    const data = Float32Array.from([1, 2, 3])
    for (let i = 0; i < 2; i++) {
      await expect(remote.run({ label: "kept", data }, { transfer: false })).resolves.toMatchObject(
        { sum: 6 },
      )
      expect(data.byteLength).toBe(12)
    }
    await remote.run({ label: "moved", data })
    expect(data.byteLength).toBe(0)
  })

  it("after close(), every method rejects with a tagged Error, not a string", async () => {
    const remote = start("bytes")
    const session = await remote.open()
    await remote.close()
    const calls: Record<string, () => Promise<unknown>> = {
      load: () => remote.load(),
      run: () => remote.run({ label: "x", data: new Float32Array(1) }),
      open: () => remote.open(),
      stream: () => remote.stream([]).next(),
      timings: () => remote.timings(),
      push: () => session.push({ label: "x", data: new Float32Array(1) }),
      end: () => session.end(),
    }
    for (const [name, call] of Object.entries(calls)) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, name).toBeInstanceOf(CancelledError)
      expect((error as CancelledError)._tag, name).toBe("CancelledError")
    }
  })

  it("carries Silero state across the pushes of a stream session (open and stream)", async () => {
    const chunks = [audio(6, 1), audio(4, 2), audio(5, 3)]
    const remote = start("vad")
    const whole = await remote.run(concat(chunks))

    const session = await remote.open()
    const pushed: Array<Float32Array> = []
    for (const chunk of chunks) pushed.push((await session.push(chunk.slice())).probabilities)
    expect(await session.end()).toEqual([])
    expect(pushed.map((p) => p.length)).toEqual([6, 4, 5])
    expect(Array.from(concat(pushed))).toEqual(Array.from(whole.probabilities))

    // Without the carried state the later chunks score differently.
    const alone = await remote.run(chunks[1]!.slice())
    expect(Array.from(alone.probabilities)).not.toEqual(Array.from(pushed[1]!))

    const streamed: Array<Float32Array> = []
    for await (const out of remote.stream(chunks.map((c) => c.slice())))
      streamed.push(out.probabilities)
    expect(Array.from(concat(streamed))).toEqual(Array.from(whole.probabilities))
    expect(whole.probabilities).toHaveLength(15)
  })

  it("rejects pending calls with WorkerError when the worker crashes (process.exit in a stage)", async () => {
    const remote = start("crash")
    const first = remote.run(null).catch((e: unknown) => e)
    const second = remote.run(null).catch((e: unknown) => e)
    const [a, b] = await Promise.all([first, second])
    for (const error of [a, b]) {
      expect(error).toBeInstanceOf(WorkerError)
      expect((error as WorkerError).message).toMatch(/exited with code 1/)
    }
    // Later calls fail the same way instead of hanging, opening a stream and timings too.
    await expect(remote.run(null)).rejects.toBeInstanceOf(WorkerError)
    await expect(remote.open()).rejects.toBeInstanceOf(WorkerError)
    await expect(remote.stream([null]).next()).rejects.toBeInstanceOf(WorkerError)
    await expect(remote.timings()).rejects.toBeInstanceOf(WorkerError)
  })

  it("close() shuts the pipeline down and terminates the worker thread", async () => {
    const thread = new Worker(entry, { workerData: { pipeline: "bytes" } })
    let exitCode: number | undefined
    thread.once("exit", (code) => {
      exitCode = code
    })
    const remote = connectWorker<Pipelines["bytes"]>(thread)
    await expect(
      remote.run({ label: "x", data: Float32Array.from([2, 3]) }),
    ).resolves.toMatchObject({ sum: 5 })
    expect(exitCode).toBeUndefined()
    await remote.close()
    // The thread is gone by the time close() resolves: terminated (1), or ended on its
    // own (0) once the released endpoint left its event loop empty.
    expect(exitCode).toBeOneOf([0, 1])
    expect(thread.threadId).toBe(-1)
    await expect(remote.run({ label: "y", data: new Float32Array(1) })).rejects.toBeInstanceOf(
      CancelledError,
    )
    await remote.close() // idempotent
  })
})
