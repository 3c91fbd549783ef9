/**
 * `worker.terminate()` on a Worker that `connectWorker` owns or adopts is
 * cooperative: pending calls reject with WorkerError at once, the worker
 * stops its runs (waiting for native ones to return), then it ends. Without
 * this, terminating a worker inside an onnxruntime-node run aborts the whole
 * process (signal 6, `Napi::Error` thrown while the environment shuts down).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import { CancelledError, type Progress, WorkerError } from "@edgeline/core"
import { afterEach, describe, expect, it, vi } from "vitest"
import { connectWorker } from "../src/index.js"
import type { ConnectOptions } from "../src/NodeWorker.js"
import { audio, type pipelines } from "./fixtures/pipelines.mjs"

const entry = new URL("./fixtures/worker.mjs", import.meta.url)
const child = fileURLToPath(new URL("./fixtures/terminate-mid-run.mjs", import.meta.url))

type Pipelines = typeof pipelines
const threads: Array<Worker> = []
afterEach(async () => {
  await Promise.all(threads.splice(0).map((thread) => thread.terminate()))
})

/** A worker serving the named pipeline, its runner, and the Worker itself. */
const start = <K extends keyof Pipelines>(pipeline: K, options: ConnectOptions = {}) => {
  const thread = new Worker(entry, { workerData: { pipeline } })
  threads.push(thread)
  const runner = connectWorker<Pipelines[K]>(thread, options)
  return { thread, runner }
}

/** What a promise settles with: its value, or the error it rejects with. */
const settled = <A>(promise: Promise<A>): Promise<{ value?: A; error?: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

/** Resolves once `onProgress` has seen a `stage` event with at least `done`. */
const progressed = (stage: string, done = 1) => {
  let reached: () => void = () => {}
  const reachedIt = new Promise<void>((resolve) => {
    reached = resolve
  })
  const onProgress = (event: Progress.Event) => {
    if (event.scope === "stage" && event.name === stage && event.done >= done) reached()
  }
  return { onProgress, reached: reachedIt }
}

interface Iteration {
  readonly i: number
  readonly moment: "load" | "early" | "late"
  readonly pending: boolean
  readonly exitCode: number
  readonly outcome: { ok: true } | { ok: false; tag: string; message: string }
}

describe("worker.terminate() is cooperative", () => {
  it("the host survives 20 workers terminated during load, early and late in a run (child process)", async () => {
    const proc = spawn(process.execPath, [child, "20"], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    proc.stdout.on("data", (chunk) => {
      stdout += chunk
    })
    proc.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      proc.on("close", (c, s) => resolve([c, s])),
    )
    // Without cooperative termination: signal SIGABRT, "terminate called
    // after throwing an instance of 'Napi::Error'" on stderr.
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null })
    const lines = stdout.trim().split("\n")
    expect(lines.at(-1)).toBe("host alive")
    const iterations = lines.slice(0, -1).map((line) => JSON.parse(line) as Iteration)
    expect(iterations.map((it) => it.i)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    for (const it of iterations) {
      expect(it.exitCode, `iteration ${it.i}`).toBe(1)
      if (!it.pending) continue
      expect(it.outcome, `iteration ${it.i} (${it.moment})`).toEqual({
        ok: false,
        tag: "WorkerError",
        message: "the worker was terminated (worker.terminate()) with 1 call pending",
      })
    }
    // Runs are long (3000 frames): terminated early or late, they were still running.
    const inRuns = iterations.filter((it) => it.moment !== "load")
    expect(inRuns.every((it) => it.pending)).toBe(true)
    expect(inRuns.map((it) => it.moment)).toContain("late")
  }, 240_000)

  it("rejects the pending calls at once, stops the runs, and resolves with the exit code", async () => {
    const { thread, runner } = start("vad")
    const { onProgress, reached } = progressed("silero")
    const run = settled(runner.run(audio(4000), { onProgress }))
    const session = await runner.open()
    const push = settled(session.push(audio(4000)))
    await reached
    const terminating = thread.terminate()
    const [ran, pushed] = await Promise.all([run, push])
    for (const outcome of [ran, pushed]) {
      expect(outcome.error).toBeInstanceOf(WorkerError)
      expect((outcome.error as WorkerError).message).toBe(
        "the worker was terminated (worker.terminate()) with 2 calls pending",
      )
    }
    expect(await terminating).toBe(1)
    expect(thread.threadId).toBe(-1)
    const later = await settled(runner.run(audio(1)))
    expect(later.error).toBeInstanceOf(WorkerError)
    expect((later.error as WorkerError).message).toMatch(/terminated.*takes no more calls/)
    await expect(runner.close()).resolves.toBeUndefined()
  })

  it("while idle, ends the worker the same way", async () => {
    const { thread, runner } = start("vad")
    expect((await runner.run(audio(2))).probabilities).toHaveLength(2)
    expect(await thread.terminate()).toBe(1)
    expect(thread.threadId).toBe(-1)
    expect((await settled(runner.timings())).error).toBeInstanceOf(WorkerError)
  })

  it("called twice, returns the same promise and ends the worker once", async () => {
    const { thread, runner } = start("vad")
    const exits = vi.fn()
    thread.on("exit", exits)
    const run = settled(runner.run(audio(2000)))
    const first = thread.terminate()
    const second = thread.terminate()
    expect(second).toBe(first)
    expect(await first).toBe(1)
    expect((await run).error).toBeInstanceOf(WorkerError)
    expect(exits).toHaveBeenCalledTimes(1)
  })

  it("during load(), rejects the load with WorkerError", async () => {
    const { thread, runner } = start("vad")
    await runner.timings() // the worker is up
    const load = settled(runner.load())
    const terminating = thread.terminate()
    expect((await load).error).toBeInstanceOf(WorkerError)
    expect(await terminating).toBe(1)
  })

  it("after the worker crashed, resolves, and calls keep the crash as their reason", async () => {
    const { thread, runner } = start("crash")
    const crashed = await settled(runner.run(null))
    expect((crashed.error as WorkerError).message).toMatch(/exited with code 1/)
    await expect(thread.terminate()).resolves.toBeUndefined()
    const later = await settled(runner.run(null))
    expect((later.error as WorkerError).message).toMatch(/exited with code 1/)
    await runner.close()
  })

  it("a worker stuck in JavaScript is ended anyway after terminateTimeoutMs", async () => {
    const { thread, runner } = start("spin", { terminateTimeoutMs: 200 })
    const { onProgress, reached } = progressed("spin", 0)
    const spinning = settled(runner.run(null, { onProgress }))
    await reached
    let ended = false
    const terminating = thread.terminate().then((code) => {
      ended = true
      return code
    })
    const outcome = await spinning
    // Rejected before the timeout ended the worker.
    expect(ended).toBe(false)
    expect(outcome.error).toBeInstanceOf(WorkerError)
    expect(await terminating).toBe(1)
  })

  it("close() on a stuck worker ends it after terminateTimeoutMs too", async () => {
    const { thread, runner } = start("spin", { terminateTimeoutMs: 200 })
    const { onProgress, reached } = progressed("spin", 0)
    const spinning = settled(runner.run(null, { onProgress }))
    await reached
    await runner.close()
    expect(thread.threadId).toBe(-1)
    const outcome = await spinning
    expect(outcome.error).toBeInstanceOf(Error)
    expect((outcome.error as WorkerError)._tag).toBeOneOf(["WorkerError", "CancelledError"])
  })

  it("close() ends the worker with Node's own terminate, not the cooperative one", async () => {
    const { thread, runner } = start("vad")
    const cooperative = thread.terminate
    const calls = vi.fn()
    thread.terminate = () => {
      calls()
      return cooperative()
    }
    expect((await runner.run(audio(2))).probabilities).toHaveLength(2)
    await runner.close()
    expect(calls).not.toHaveBeenCalled()
    expect(thread.threadId).toBe(-1)
    expect((await settled(runner.run(audio(1)))).error).toBeInstanceOf(CancelledError)
    // The cooperative one still answers afterwards.
    await expect(thread.terminate()).resolves.toBeOneOf([0, 1, undefined])
  })

  it("terminate() while close() is under way: both finish, the worker ends once", async () => {
    const { thread, runner } = start("vad")
    const exits = vi.fn()
    thread.on("exit", exits)
    const run = settled(runner.run(audio(2000)))
    const closing = runner.close()
    const terminating = thread.terminate()
    await Promise.all([closing, terminating])
    expect(exits).toHaveBeenCalledTimes(1)
    expect((await run).error).toBeInstanceOf(Error)
  })
})
