/**
 * `runner.observe`: snapshots pushed to a UI (status, calls in flight,
 * per-stage counts and latencies, model events), coalesced, for the
 * in-process runner and across a worker (a MessageChannel here) alike.
 */
import { MessageChannel } from "node:worker_threads"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import { Context, Data, Effect, Exit, Layer, Metric, Scope } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import * as Infer from "../src/Infer.js"
import * as ModelRef from "../src/ModelRef.js"
import * as ModelSource from "../src/ModelSource.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner, type Observation, type Runner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tensor from "../src/Tensor.js"
import { connect, serve } from "../src/Transport.js"
import { memoryRuntime, sumModel } from "./support/memoryRuntime.js"

/** `vi.waitFor` with room for a loaded CI machine (its default gives up after 1 s). */
const settled = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 20_000, interval: 10 })

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type Make = <P extends Pipeline.Any>(
  pipeline: P,
  layer: Layer.Layer<Pipeline.Services<P>>,
) => Promise<Runner<Pipeline.Input<P>, Pipeline.Output<P>>>

const inProcess: Make = async (pipeline, layer) => {
  const runner = await createRunner(pipeline, { layer })
  cleanups.push(() => runner.close())
  return runner
}

const overWorker: Make = async <P extends Pipeline.Any>(
  pipeline: P,
  layer: Layer.Layer<Pipeline.Services<P>>,
) => {
  const { port1, port2 } = new MessageChannel()
  serve(pipeline, layer, nodeEndpoint(port1))
  const runner = connect<P>(nodeEndpoint(port2))
  cleanups.push(async () => {
    await runner.close()
    port1.close()
    port2.close()
  })
  return runner
}

/** Collects what an observer hears. */
const observed = () => {
  const seen: Array<Observation> = []
  return { seen, observer: (o: Observation) => void seen.push(o), last: () => seen.at(-1) }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

class Negative extends Data.TaggedError("Negative")<{ readonly message: string }> {}

describe.each([
  ["createRunner", inProcess],
  ["a worker (connect over a MessageChannel)", overWorker],
] as const)("observe() on %s", (_, make) => {
  it("pushes a snapshot at once, 'running' during a slow run and 'idle' with the count after it, without being asked", async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const pipeline = Pipeline.make(
      "observed-slow",
      Stage.preprocess({
        name: "observed-wait",
        run: (n: number) =>
          Effect.as(
            Effect.promise(() => gate),
            n,
          ),
      }),
    )
    const runner = await make(pipeline, Layer.empty)
    const { seen, observer, last } = observed()
    runner.observe(observer)
    await settled(() => expect(seen).toHaveLength(1))
    expect(seen[0]).toEqual({
      status: "idle",
      calls: 0,
      stages: [
        {
          stage: "observed-wait",
          kind: "preprocess",
          count: 0,
          failures: 0,
          totalMs: 0,
          meanMs: 0,
          maxMs: 0,
          lastMs: 0,
        },
      ],
      models: [],
    })

    const running = runner.run(7)
    await settled(() => expect(last()).toMatchObject({ status: "running", calls: 1 }))
    expect(last()!.stages[0]!.count).toBe(0)
    release()
    expect(await running).toBe(7)
    await settled(() => expect(last()).toMatchObject({ status: "idle", calls: 0 }))
    const stage = last()!.stages[0]!
    expect(stage).toMatchObject({ stage: "observed-wait", count: 1, failures: 0 })
    expect(stage.lastMs).toBeGreaterThan(0)
    expect(stage.maxMs).toBe(stage.lastMs)
    expect(stage.totalMs).toBe(stage.lastMs)
  })

  it("counts each stage's runs and failures as they ran", async () => {
    const pipeline = Pipeline.make(
      "observed-counts",
      Stage.preprocess({ name: "observed-pass", run: (n: number) => Effect.succeed(n) }),
      Stage.preprocess({
        name: "observed-check",
        run: (n: number) =>
          n < 0 ? Effect.fail(new Negative({ message: `${n} < 0` })) : Effect.succeed(n),
      }),
      Stage.preprocess({ name: "observed-after", run: (n: number) => Effect.succeed(n + 1) }),
    )
    const runner = await make(pipeline, Layer.empty)
    const { observer, last } = observed()
    runner.observe(observer)
    for (const n of [1, -1, 2, -2, 3]) await runner.run(n).catch(() => undefined)
    await settled(() => expect(last()?.stages[0]?.count).toBe(5))
    await settled(() => expect(last()?.status).toBe("idle"))
    expect(last()!.stages.map((s) => [s.stage, s.count, s.failures])).toEqual([
      ["observed-pass", 5, 0],
      ["observed-check", 3, 2],
      ["observed-after", 3, 0],
    ])
    // The same numbers as timings().
    expect((await runner.timings()).map((t) => [t.count, t.failures])).toEqual([
      [5, 0],
      [3, 2],
      [3, 0],
    ])
  })

  it("builds its Layer in the runner's metric registry, so what the Layer holds (an exporter) reads the stage metrics", async () => {
    let registry: Metric.MetricRegistry | undefined
    const exporter = Layer.effectDiscard(
      Effect.gen(function* () {
        registry = yield* Metric.MetricRegistry
      }),
    )
    const pipeline = Pipeline.make(
      "observed-exported",
      Stage.preprocess({ name: "observed-exported-stage", run: (n: number) => Effect.succeed(n) }),
    )
    const runner = await make(pipeline, exporter)
    await runner.run(1)
    await runner.run(2)
    const duration = Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, registry!)).find(
      (m) => m.id === "edgeline_stage_duration" && m.attributes?.pipeline === "observed-exported",
    )
    expect((duration?.state as Metric.HistogramState | undefined)?.count).toBe(2)
  })

  it("counts pipelines built twice under one name into one series, and reading timings replaces none", async () => {
    const build = () =>
      Pipeline.make(
        "observed-twice",
        Stage.preprocess({ name: "observed-twice-stage", run: (n: number) => Effect.succeed(n) }),
      )
    const [first, second] = [build(), build()]
    const registry = new Map() as unknown as Metric.MetricRegistry
    const inRegistry = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.runPromise(Effect.provideService(effect, Metric.MetricRegistry, registry))
    await inRegistry(Pipeline.run(first, 1))
    await inRegistry(Pipeline.run(first, 2))
    await inRegistry(Pipeline.run(second, 3))
    // Reading the second pipeline's timings must not swap the exported series for a fresh one.
    await inRegistry(Pipeline.timings(second))
    const series = Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, registry)).filter(
      (m) => m.id === "edgeline_stage_duration" && m.attributes?.pipeline === "observed-twice",
    )
    expect(series).toHaveLength(1)
    expect((series[0]!.state as Metric.HistogramState).count).toBe(3)
  })

  it("coalesces: 100 quick runs give far fewer snapshots, and the last one counts all 100", async () => {
    const pipeline = Pipeline.make(
      "observed-quick",
      Stage.preprocess({ name: "observed-quick", run: (n: number) => Effect.succeed(n) }),
    )
    const runner = await make(pipeline, Layer.empty)
    const { seen, observer, last } = observed()
    runner.observe(observer)
    await Promise.all(Array.from({ length: 100 }, (_, i) => runner.run(i)))
    // The trailing snapshot: the last state arrives.
    await settled(() => expect(last()?.stages[0]?.count).toBe(100))
    expect(last()).toMatchObject({ status: "idle", calls: 0 })
    // Each run changes the state twice (started, ended): 200 changes.
    expect(seen.length).toBeLessThan(50)
  })

  it("with intervalMs 0, sends every change", async () => {
    const pipeline = Pipeline.make(
      "observed-every",
      Stage.preprocess({ name: "observed-every", run: (n: number) => Effect.succeed(n) }),
    )
    const runner = await make(pipeline, Layer.empty)
    const { seen, observer, last } = observed()
    runner.observe(observer, { intervalMs: 0 })
    for (const n of [1, 2, 3]) await runner.run(n)
    await settled(() => expect(last()?.stages[0]?.count).toBe(3))
    // The first, then each run's start and end.
    expect(seen.map((o) => o.status)).toEqual([
      "idle",
      "running",
      "idle",
      "running",
      "idle",
      "running",
      "idle",
    ])
  })

  it("stops after unsubscribe; other observers go on", async () => {
    const pipeline = Pipeline.make(
      "observed-unsub",
      Stage.preprocess({ name: "observed-unsub", run: (n: number) => Effect.succeed(n) }),
    )
    const runner = await make(pipeline, Layer.empty)
    const gone = observed()
    const stays = observed()
    const unsubscribe = runner.observe(gone.observer, { intervalMs: 10 })
    runner.observe(stays.observer, { intervalMs: 10 })
    await settled(() => expect(gone.seen).toHaveLength(1))
    unsubscribe()
    unsubscribe() // twice is harmless
    for (const n of [1, 2, 3]) await runner.run(n)
    await settled(() => expect(stays.last()).toMatchObject({ status: "idle", calls: 0 }))
    await settled(() => expect(stays.last()?.stages[0]?.count).toBe(3))
    // Well past any trailing snapshot that might still have been due.
    await sleep(100)
    expect(gone.seen).toHaveLength(1)
    expect(gone.seen[0]!.stages[0]!.count).toBe(0)
  })

  it("an observer that throws is logged once and never fails the runner", async () => {
    const pipeline = Pipeline.make(
      "observed-throws",
      Stage.preprocess({ name: "observed-throws", run: (n: number) => Effect.succeed(n) }),
    )
    const runner = await make(pipeline, Layer.empty)
    const errors = vi.spyOn(console, "error").mockImplementation(() => {})
    try {
      let calls = 0
      runner.observe(
        () => {
          calls++
          throw new Error("a bug in the dashboard")
        },
        { intervalMs: 0 },
      )
      const { observer, last } = observed()
      runner.observe(observer, { intervalMs: 0 })
      for (const n of [1, 2]) expect(await runner.run(n)).toBe(n)
      await settled(() => expect(last()?.stages[0]?.count).toBe(2))
      expect(calls).toBeGreaterThan(1)
      expect(errors).toHaveBeenCalledTimes(1)
      expect(String(errors.mock.calls[0]![0])).toContain("a bug in the dashboard")
    } finally {
      errors.mockRestore()
    }
  })

  it("sends 'closed' last on close(), and only that to observers that come after", async () => {
    const pipeline = Pipeline.make(
      "observed-close",
      Stage.preprocess({ name: "observed-close", run: (n: number) => Effect.succeed(n) }),
    )
    const runner = await make(pipeline, Layer.empty)
    const { seen, observer, last } = observed()
    runner.observe(observer)
    await runner.run(1)
    await runner.close()
    expect(last()).toMatchObject({ status: "closed", calls: 0 })
    expect(last()!.stages[0]!.count).toBe(1)
    const count = seen.length
    await sleep(150)
    expect(seen).toHaveLength(count)
    expect(seen.filter((o) => o.status === "closed")).toHaveLength(1)

    const late = observed()
    runner.observe(late.observer)
    expect(late.seen.map((o) => o.status)).toEqual(["closed"])
  })

  it("shows 'loading' during load() and the models the backend loaded", async () => {
    const runtime = memoryRuntime({ loadDelayMs: 50 })
    const pipeline = Pipeline.make(
      "observed-models",
      Infer.infer({
        name: "observed-sum",
        model: sumModel,
        encode: (xs: Float32Array) => ({ x: Tensor.float32(xs, [1, xs.length]) }),
        decode: (outputs) => outputs.y!.data[0] as number,
      }),
    )
    const runner = await make(pipeline, runtime.layer)
    const { seen, observer, last } = observed()
    runner.observe(observer, { intervalMs: 0 })
    await runner.load()
    await settled(() => expect(last()).toMatchObject({ status: "idle", calls: 0 }))
    expect(seen.map((o) => o.status)).toContain("loading")
    expect(seen.some((o) => o.status === "running")).toBe(false)
    expect(last()!.models).toEqual([{ name: "sum", version: undefined, event: "Loaded" }])
    expect(await runner.run(Float32Array.of(1, 2))).toBe(3)
    await settled(() => expect(last()?.stages[0]?.count).toBe(1))
  })
})

describe.each([
  ["createRunner", inProcess],
  ["a worker (connect over a MessageChannel)", overWorker],
] as const)("observe() on %s, models that change", (_, make) => {
  it("shows a swap to a new version, and a swap that failed with the version still serving", async () => {
    const scope = Scope.makeUnsafe()
    cleanups.push(() => Effect.runPromise(Scope.close(scope, Exit.void)))
    const bytes = (text: string) => new TextEncoder().encode(text)
    const source = Effect.runSync(
      Scope.provide(
        ModelSource.memory({ versioned: { bytes: bytes("const:0"), version: "0" } }),
        scope,
      ),
    )
    const runtime = memoryRuntime({ source })
    const pipeline = Pipeline.make(
      "observed-swaps",
      Infer.infer({
        name: "observed-versioned",
        model: ModelRef.make("versioned", "memory:versioned"),
        encode: (n: number) => ({ x: Tensor.float32(new Float32Array(n), [n, 1]) }),
        decode: (outputs) => outputs.y!.data[0] as number,
      }),
    )
    const runner = await make(pipeline, runtime.layer)
    const { observer, last } = observed()
    runner.observe(observer, { intervalMs: 10 })
    expect(await runner.run(1)).toBe(0)
    await settled(() =>
      expect(last()?.models).toEqual([{ name: "versioned", version: "0", event: "Loaded" }]),
    )

    await Effect.runPromise(source.publish("versioned", { bytes: bytes("const:1"), version: "1" }))
    await settled(() =>
      expect(last()?.models).toEqual([{ name: "versioned", version: "1", event: "Swapped" }]),
    )

    await Effect.runPromise(
      source.publish("versioned", { bytes: bytes("not a model"), version: "2" }),
    )
    await settled(() => expect(last()?.models[0]?.event).toBe("SwapFailed"))
    expect(last()!.models).toEqual([
      {
        name: "versioned",
        version: "1",
        event: "SwapFailed",
        failedVersion: "2",
        error: { _tag: "ModelLoadError", message: expect.stringContaining("not a model") },
      },
    ])
    expect(await runner.run(1)).toBe(1)
  })
})

describe("observe() across a worker", () => {
  it("a closed snapshot ends the observers even when the worker cannot send it", async () => {
    const pipeline = Pipeline.make(
      "observed-dead",
      Stage.preprocess({ name: "observed-dead", run: (n: number) => Effect.succeed(n) }),
    )
    const { port1, port2 } = new MessageChannel()
    serve(pipeline, Layer.empty, nodeEndpoint(port1))
    let fail: (message: string) => void = () => {}
    const runner = connect<typeof pipeline>(nodeEndpoint(port2), {
      watch: (worker) => {
        fail = worker.fail
      },
    })
    cleanups.push(() => {
      port1.close()
      port2.close()
    })
    const { observer, last } = observed()
    runner.observe(observer)
    await runner.run(1)
    await settled(() => expect(last()?.stages[0]?.count).toBe(1))
    fail("the worker exited with code 1")
    expect(last()).toMatchObject({ status: "closed", calls: 0 })
    expect(last()!.stages[0]!.count).toBe(1)
  })
})
