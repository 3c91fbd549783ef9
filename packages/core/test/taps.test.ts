/**
 * Tap recordings belong to the runner (or served worker) that ran them:
 * `close()` waits for them, up to `tapDrainMs`, then interrupts the rest and
 * says how many it cut. Sampling draws from Effect's `Random`.
 */
import { MessageChannel } from "node:worker_threads"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import { Effect, Layer, Logger, Random } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner, type Runner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tap from "../src/Tap.js"
import { connect, serve } from "../src/Transport.js"

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** Warnings logged through the runner's layer. */
const warnings = () => {
  const logged: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (logLevel === "Warn") logged.push((Array.isArray(message) ? message : [message]).join(" "))
  })
  return { logged, layer: Logger.layer([logger]) }
}

/** A pipeline whose tap records each value after `ms`, noting when recordings start, end or are cut. */
const slowlyTapped = (name: string, ms: number) => {
  const log = { started: [] as Array<number>, done: [] as Array<number>, cut: [] as Array<number> }
  const pipeline = Pipeline.make(
    name,
    Stage.preprocess({ name: `${name}-double`, run: (n: number) => Effect.succeed(n * 2) }),
    Tap.tap({
      name: `${name}-record`,
      record: (n: number) =>
        Effect.sync(() => log.started.push(n)).pipe(
          Effect.andThen(Effect.sleep(ms)),
          Effect.andThen(Effect.sync(() => log.done.push(n))),
          Effect.onInterrupt(() => Effect.sync(() => log.cut.push(n))),
        ),
    }),
  )
  return { pipeline, log }
}

type Make = (
  pipeline: Pipeline.Pipeline<number, number, never, never>,
  layer: Layer.Layer<never>,
  tapDrainMs?: number,
) => Promise<Runner<number, number>>

const inProcess: Make = (pipeline, layer, tapDrainMs) =>
  createRunner(pipeline, { layer, tapDrainMs })

const overWorker: Make = async (pipeline, layer, tapDrainMs) => {
  const { port1, port2 } = new MessageChannel()
  serve(pipeline, layer, nodeEndpoint(port1), { tapDrainMs })
  cleanups.push(() => {
    port1.close()
    port2.close()
  })
  return connect<typeof pipeline>(nodeEndpoint(port2))
}

describe.each([
  ["createRunner", inProcess],
  ["a served worker (connect)", overWorker],
] as const)("close() of %s and tap recordings", (_, make) => {
  it("waits for a recording still running", async () => {
    const { pipeline, log } = slowlyTapped("drain-wait", 200)
    const runner = await make(pipeline, Layer.empty)
    expect(await runner.run(21)).toBe(42)
    // The run did not wait for the recording.
    expect(log.done).toEqual([])
    await runner.close()
    expect(log.done).toEqual([42])
    expect(log.cut).toEqual([])
  })

  it("interrupts a recording slower than tapDrainMs, and warns how many it cut", async () => {
    const { pipeline, log } = slowlyTapped("drain-cut", 60_000)
    const { logged, layer } = warnings()
    const runner = await make(pipeline, layer, 50)
    await runner.run(1)
    await runner.run(2)
    await runner.close()
    expect(log.started.sort()).toEqual([2, 4])
    expect(log.done).toEqual([])
    expect(log.cut.sort()).toEqual([2, 4])
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatch(/2 tap recordings were still running 50 ms after close/)
    expect(logged[0]).toMatch(/tapDrainMs/)
  })

  it("returns at once when no recording is running", async () => {
    const { pipeline, log } = slowlyTapped("drain-none", 0)
    const { logged, layer } = warnings()
    const runner = await make(pipeline, layer)
    await runner.run(1)
    await runner.close()
    expect(log.done.length + log.started.length).toBeGreaterThanOrEqual(1)
    expect(logged).toEqual([])
  })
})

describe("Tap.layer, for Effect code running pipelines itself", () => {
  it("waits for recordings when the layer is released", async () => {
    const { pipeline, log } = slowlyTapped("layer-wait", 100)
    await Effect.runPromise(
      Effect.forEach([1, 2, 3], (n) => Pipeline.run(pipeline, n)).pipe(Effect.provide(Tap.layer())),
    )
    expect(log.done.sort()).toEqual([2, 4, 6])
  })

  it("cuts them after drainMs, with a warning", async () => {
    const { pipeline, log } = slowlyTapped("layer-cut", 60_000)
    const { logged, layer } = warnings()
    await Effect.runPromise(
      Pipeline.run(pipeline, 5).pipe(
        Effect.provide(Tap.layer({ drainMs: 20 })),
        Effect.provide(layer),
      ),
    )
    expect(log.cut).toEqual([10])
    expect(logged).toEqual([expect.stringMatching(/1 tap recording was still running 20 ms/)])
  })
})

describe("Tap sampling", () => {
  const sampled = () => {
    const recorded: Array<number> = []
    const pipeline = Pipeline.make(
      "seeded",
      Tap.tap({
        name: "seeded-record",
        sampleRate: 0.3,
        record: (n: number) => Effect.sync(() => recorded.push(n)),
      }),
    )
    const inputs = Array.from({ length: 100 }, (_, i) => i)
    return Effect.forEach(inputs, (n) => Pipeline.run(pipeline, n), { discard: true }).pipe(
      Random.withSeed(42),
      // Every recording has finished when the layer is released.
      Effect.provide(Tap.layer()),
      Effect.as(recorded),
    )
  }

  it("draws from Effect's Random: a seed records the same inputs every time", async () => {
    const first = await Effect.runPromise(sampled())
    const second = await Effect.runPromise(sampled())
    expect(first.length).toBeGreaterThanOrEqual(15)
    expect(first.length).toBeLessThanOrEqual(45)
    expect([...second].sort((a, b) => a - b)).toEqual([...first].sort((a, b) => a - b))
  })
})
