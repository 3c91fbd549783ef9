/**
 * Models that change while the app runs: a source announces a new version,
 * runners take it at the next run, streams at their safe point, in-flight
 * runs finish on the old session, which is released after them.
 *
 * The backend is core's in-memory one (built with `InferenceBackend.make`);
 * its `const:<k>` models answer k, so every output says which version ran.
 * runtime-node's lifecycle test does the same with real ONNX models.
 */
import { Effect, Exit, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import * as Infer from "../src/Infer.js"
import * as Model from "../src/Model.js"
import * as ModelRef from "../src/ModelRef.js"
import * as ModelSource from "../src/ModelSource.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Tensor from "../src/Tensor.js"
import { type MemoryRuntimeOptions, memoryRuntime } from "./support/memoryRuntime.js"

const versioned = ModelRef.make("versioned", "memory:versioned")
const bytesOf = (k: number) => new TextEncoder().encode(`const:${k}`)
const version = (k: number) => ({ bytes: bytesOf(k), version: String(k) })

/** `rows` rows in, the version that answered each row out. */
const answer = (batch?: Infer.BatchOptions) =>
  Infer.infer<number, Array<number>>({
    name: "answer",
    model: versioned,
    encode: (rows) => ({ x: Tensor.float32(new Float32Array(rows), [rows, 1]) }),
    decode: (outputs) => Array.from(outputs.y!.data as Float32Array),
    batch,
  })

const scopes: Array<Scope.Closeable> = []
afterEach(async () => {
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

/** A memory source holding version 0, and a memory runtime serving from it. */
const setup = (options: MemoryRuntimeOptions = {}) => {
  const scope = Scope.makeUnsafe()
  scopes.push(scope)
  const source = Effect.runSync(Scope.provide(ModelSource.memory({ versioned: version(0) }), scope))
  const runtime = memoryRuntime({ ...options, source })
  const publish = (k: number, bytes = bytesOf(k)) =>
    Effect.runPromise(source.publish("versioned", { bytes, version: String(k) }))
  const unreleased = () => runtime.sessions.filter((s) => !s.released()).length
  return { source, runtime, publish, unreleased }
}

/** Resolves once `check` holds, trying every few ms (a swap loads on its own fiber). */
const eventually = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 2))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("a model whose source announces new versions", () => {
  it("serves the new version from the next run on, and releases the old session", async () => {
    const { runtime, publish, unreleased } = setup()
    const runner = await createRunner(Pipeline.make("versions", answer()), {
      layer: runtime.layer,
    })
    expect(await runner.run(2)).toEqual([0, 0])
    await publish(1)
    await eventually(async () => (await runner.run(1))[0] === 1, "version 1 to serve")
    expect(await runner.run(3)).toEqual([1, 1, 1])
    expect(runtime.sessions.map((s) => s.released())).toEqual([true, false])
    expect(unreleased()).toBe(1)
    await runner.close()
  })

  it("does not miss a version published while the first one loads", async () => {
    const { runtime, publish } = setup({ loadDelayMs: 60 })
    const runner = await createRunner(Pipeline.make("early", answer()), { layer: runtime.layer })
    const first = runner.run(1)
    await new Promise((r) => setTimeout(r, 10))
    await publish(1) // the first load (of version 0) is still under way
    expect(await first).toEqual([0])
    await eventually(async () => (await runner.run(1))[0] === 1, "version 1 to serve")
    await runner.close()
  })

  it("stops following the source when the runner closes: a later version loads nothing", async () => {
    const { runtime, publish } = setup({ scoped: true })
    const runner = await createRunner(Pipeline.make("closed", answer()), { layer: runtime.layer })
    expect(await runner.run(1)).toEqual([0])
    await runner.close()
    expect(runtime.sessions.map((s) => s.released())).toEqual([true])
    await publish(1)
    await new Promise((r) => setTimeout(r, 50))
    expect(runtime.loads()).toBe(1)
  })

  it("finishes a run in flight on the old version, then releases it", async () => {
    const { runtime, publish } = setup({ runDelayMs: 150 })
    const runner = await createRunner(Pipeline.make("in-flight", answer()), {
      layer: runtime.layer,
    })
    await runner.load()
    const slow = runner.run(2)
    await eventually(() => runtime.sessions[0]!.calls() === 1, "the slow run to start")
    await publish(1)
    await eventually(() => runtime.sessions.length === 2, "version 1 to load")
    // Swapped, but the old session is still running the slow call.
    expect(runtime.sessions[0]!.released()).toBe(false)
    expect(await slow).toEqual([0, 0])
    await eventually(() => runtime.sessions[0]!.released(), "the old session's release")
    expect(await runner.run(1)).toEqual([1])
    await runner.close()
  })

  it("100 swaps under concurrent runs: no run fails, none mixes versions, sessions do not pile up", async () => {
    const { runtime, publish, unreleased } = setup()
    const runner = await createRunner(
      Pipeline.make("swaps", answer({ maxSize: 4, maxWaitMs: 1 })),
      { layer: runtime.layer },
    )
    await runner.load()
    let swapping = true
    let runs = 0
    const mostUnreleased = { value: 0 }
    const caller = async () => {
      let last = 0
      while (swapping) {
        const rows = 1 + (runs % 3)
        const out = await runner.run(rows)
        runs++
        expect(out).toHaveLength(rows)
        expect(new Set(out).size).toBe(1) // one version answered every row of this run
        expect(out[0]!).toBeGreaterThanOrEqual(last) // never back to an older version
        last = out[0]!
        mostUnreleased.value = Math.max(mostUnreleased.value, unreleased())
      }
    }
    const callers = Array.from({ length: 6 }, caller)
    for (let k = 1; k <= 100; k++) {
      await publish(k)
      await eventually(() => runtime.sessions.length === k + 1, `version ${k} to load`)
    }
    await eventually(async () => (await runner.run(1))[0] === 100, "version 100 to serve")
    swapping = false
    await Promise.all(callers)
    expect(runs).toBeGreaterThan(100)
    // Old versions are released as their runs finish: at most the new, the old and one in-between.
    expect(mostUnreleased.value).toBeLessThanOrEqual(3)
    await eventually(() => unreleased() === 1, "every old version's release")
    expect(runtime.sessions.filter((s) => s.released())).toHaveLength(100)
    await runner.close()
  })

  it("a version that fails to load leaves the old one serving, with a typed SwapFailed event", async () => {
    const { runtime, publish } = setup()
    const events: Array<Model.Event> = []
    const runner = await createRunner(Pipeline.make("bad-swap", answer()), {
      layer: runtime.layer,
    })
    await runner.load()
    const unwatch = await Effect.runPromise(
      Effect.provide(
        Model.watch((event) => events.push(event)),
        runtime.layer,
      ),
    )
    await publish(7, new TextEncoder().encode("not a model"))
    await eventually(() => events.some((e) => e._tag === "SwapFailed"), "the SwapFailed event")
    const failed = events.find((e) => e._tag === "SwapFailed")!
    expect(failed).toMatchObject({ model: "versioned", version: "7" })
    expect(failed._tag === "SwapFailed" && failed.error._tag).toBe("ModelLoadError")
    expect(await runner.run(2)).toEqual([0, 0])
    // The next good version still swaps in.
    await publish(8)
    await eventually(() => events.some((e) => e._tag === "Swapped"), "the Swapped event")
    expect(events.at(-1)).toEqual({ _tag: "Swapped", model: "versioned", from: "0", to: "8" })
    expect(await runner.run(1)).toEqual([8])
    unwatch()
    await runner.close()
  })
})

/** A stateful stage summing the versions that answered each push; resets on `initial()`. */
const summing = (switchAt?: (state: { total: number; pushes: number }) => boolean) =>
  Infer.inferStateful({
    name: "summing",
    model: versioned,
    initial: () => ({ total: 0, pushes: 0 }),
    step: (session, state, _input: number) =>
      Effect.map(session.run({ x: Tensor.float32(Float32Array.of(1), [1, 1]) }), (out) => {
        state.total += (out.y!.data as Float32Array)[0]!
        state.pushes++
        return { version: (out.y!.data as Float32Array)[0]!, total: state.total }
      }),
    switchAt,
  })

describe("an open stream and a new version", () => {
  it("keeps the version it started with to its end; the next stream takes the new one", async () => {
    const { runtime, publish } = setup()
    const runner = await createRunner(Pipeline.make("stream-keeps", summing()), {
      layer: runtime.layer,
    })
    const stream = await runner.open()
    expect(await stream.push(0)).toEqual({ version: 0, total: 0 })
    await publish(5)
    await eventually(() => runtime.sessions.length === 2, "version 5 to load")
    expect(await stream.push(0)).toEqual({ version: 0, total: 0 })
    // The old session is held by the open stream.
    expect(runtime.sessions[0]!.released()).toBe(false)
    await stream.end()
    await eventually(() => runtime.sessions[0]!.released(), "the old session's release at the end")
    const next = await runner.open()
    expect(await next.push(0)).toEqual({ version: 5, total: 5 })
    await next.end()
    await runner.close()
  })

  it("a consumer that stops early gives the version back without flushing", async () => {
    const { runtime, publish } = setup()
    let flushes = 0
    const flushing = Infer.inferStateful({
      name: "flushing",
      model: versioned,
      initial: () => ({}),
      step: (session, _state, _input: number) =>
        Effect.map(session.run({ x: Tensor.float32(Float32Array.of(1), [1, 1]) }), (out) =>
          Number((out.y!.data as Float32Array)[0]),
        ),
      flush: () => Effect.sync(() => ++flushes),
      concat: (a: number) => a,
    })
    const runner = await createRunner(Pipeline.make("early-stop", flushing), {
      layer: runtime.layer,
    })
    for await (const version of runner.stream([0, 0, 0])) {
      expect(version).toBe(0)
      await publish(2)
      await eventually(() => runtime.sessions.length === 2, "version 2 to load")
      break
    }
    expect(flushes).toBe(0)
    await eventually(() => runtime.sessions[0]!.released(), "the old version's release")
    await runner.close()
  })

  it("switches at a safe point the stage declares, its state starting afresh", async () => {
    const { runtime, publish } = setup()
    // Safe after every second push (say, between utterances).
    const runner = await createRunner(
      Pipeline.make(
        "stream-switches",
        summing((state) => state.pushes % 2 === 0),
      ),
      { layer: runtime.layer },
    )
    const stream = await runner.open()
    expect(await stream.push(0)).toEqual({ version: 0, total: 0 })
    await publish(3)
    await eventually(() => runtime.sessions.length === 2, "version 3 to load")
    // One push in: not a safe point, the old version answers.
    expect(await stream.push(0)).toEqual({ version: 0, total: 0 })
    // Two pushes in: safe; the new version answers, and the total restarts.
    expect(await stream.push(0)).toEqual({ version: 3, total: 3 })
    await eventually(() => runtime.sessions[0]!.released(), "the old session's release")
    await stream.end()
    await runner.close()
  })
})
