/**
 * Writing a backend: core's constructor (`InferenceBackend.make`) derives the
 * session cache, leases, warm-up, typed errors and warnings from an adapter's
 * `load → { run, release }`. And two backends in one pipeline: an infer stage
 * names its own, here a backend that takes model references, not bytes (as a
 * client of an inference server would; `@edgeline/backend-kserve` is a real one).
 */
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import * as Infer from "../src/Infer.js"
import * as InferenceBackend from "../src/InferenceBackend.js"
import * as Model from "../src/Model.js"
import * as ModelRef from "../src/ModelRef.js"
import * as ModelSource from "../src/ModelSource.js"
import * as Pipeline from "../src/Pipeline.js"
import * as Tensor from "../src/Tensor.js"
import { memoryRuntime, rowsFeeds, sumModel, sums } from "./support/memoryRuntime.js"

/** A backend of ours under its own service key: it runs "models" that answer their version. */
class Remote extends Context.Service<Remote, InferenceBackend.Shape>()("test/Remote") {}

interface RemoteLog {
  readonly loads: Array<ModelRef.ModelRef>
  readonly released: Array<string>
}

const remoteAdapter = (log: RemoteLog): InferenceBackend.Adapter<"ref"> => ({
  name: "remote",
  capabilities: { modelInput: "ref" },
  load: async (ref, options) => {
    if (ref.name === "absent") throw new Error(`the server has no model "${ref.name}"`)
    log.loads.push(ref)
    const version = Number(ref.version ?? 0)
    return {
      inputNames: ["x"],
      outputNames: ["y"],
      inputs: [{ name: "x", dtype: "float32", dims: ["batch", 2] }],
      version: ref.version,
      warnings:
        options.own.unknown === undefined
          ? []
          : [{ setting: "unknown", message: "no such option" }],
      run: async (feeds) => {
        const x = feeds.x
        if (x === undefined) throw new Error('needs an input named "x"')
        const rows = x.dims[0] ?? 0
        return { y: Tensor.float32(new Float32Array(rows).fill(version), [rows, 1]) }
      },
      release: async () => {
        log.released.push(`${ref.name}@${ref.version ?? "-"}`)
      },
    }
  },
})

const scopes: Array<Scope.Closeable> = []
afterEach(async () => {
  for (const scope of scopes.splice(0)) await Effect.runPromise(Scope.close(scope, Exit.void))
})

/** A scope the test closes when it ends: a lease held for the whole test. */
const held = () => {
  const scope = Scope.makeUnsafe()
  scopes.push(scope)
  return scope
}

/** Builds a backend from an adapter under a scope the test closes. */
const build = <M extends "bytes" | "ref">(adapter: InferenceBackend.Adapter<M>) => {
  const scope = Scope.makeUnsafe()
  scopes.push(scope)
  return Effect.runSync(Scope.provide(InferenceBackend.make(adapter), scope))
}

const remoteRef = (version?: string) => ModelRef.make("scorer", "remote:scorer", { version })

describe("InferenceBackend.make", () => {
  it("implements spec v1, with the adapter's capabilities over the defaults", () => {
    const backend = build(remoteAdapter({ loads: [], released: [] }))
    expect(backend.specificationVersion).toBe("v1")
    expect(backend.name).toBe("remote")
    expect(backend.capabilities).toMatchObject({
      modelInput: "ref",
      batching: false,
      recurrentSteps: false,
      options: ["warmup"],
    })
    expect(backend.capabilities.dtypes).toContain("float16")
  })

  it("shares one session between leases and releases it once the last lease ends", async () => {
    const log: RemoteLog = { loads: [], released: [] }
    const backend = build(remoteAdapter(log))
    const first = Scope.makeUnsafe()
    const second = Scope.makeUnsafe()
    const a = await Effect.runPromise(Scope.provide(backend.load(remoteRef("1")), first))
    const b = await Effect.runPromise(Scope.provide(backend.load(remoteRef("1")), second))
    expect(b).toBe(a)
    expect(log.loads).toHaveLength(1)
    await Effect.runPromise(Scope.close(first, Exit.void))
    expect(log.released).toEqual([])
    await Effect.runPromise(Scope.close(second, Exit.void))
    expect(log.released).toEqual(["scorer@1"])
  })

  it("gives the session the model's signature when the engine declares one, and none otherwise", async () => {
    const signature: InferenceBackend.Signature = {
      inputs: [{ name: "x", dtype: "float32", dims: ["batch", 2] }],
      outputs: [{ name: "y", dtype: "float32", dims: ["batch", 1] }],
    }
    const plain = remoteAdapter({ loads: [], released: [] })
    const declaring: InferenceBackend.Adapter<"ref"> = {
      ...plain,
      load: async (ref, options) => ({ ...(await plain.load(ref, options)), signature }),
    }
    const withSignature = await Effect.runPromise(
      Scope.provide(build(declaring).load(remoteRef("1")), held()),
    )
    expect(withSignature.signature).toEqual(signature)
    const without = await Effect.runPromise(
      Scope.provide(build(plain).load(remoteRef("1")), held()),
    )
    expect(without.signature).toBeUndefined()
  })

  it("refuses runs on a session whose last lease has ended, with a typed InferenceError", async () => {
    const backend = build(remoteAdapter({ loads: [], released: [] }))
    const session = await Effect.runPromise(Effect.scoped(backend.load(remoteRef())))
    const error = await session.runPromise({ x: Tensor.zeros("float32", [1, 2]) }).catch((e) => e)
    expect(error._tag).toBe("InferenceError")
    expect(error.message).toMatch(/was released/)
  })

  it("a backend closed while a model is being hashed releases the session that load made", async () => {
    let loads = 0
    let releases = 0
    const scope = Scope.makeUnsafe()
    const backend = Effect.runSync(
      Scope.provide(
        InferenceBackend.make({
          name: "slow-hash",
          capabilities: { modelInput: "bytes" },
          hash: (bytes) => new Promise((r) => setTimeout(() => r(String(bytes.length)), 60)),
          load: async () => {
            loads++
            return {
              inputNames: [],
              outputNames: [],
              run: async (feeds) => feeds,
              release: async () => {
                releases++
              },
            }
          },
        }),
        scope,
      ),
    )
    const model = { ref: remoteRef(), bytes: new Uint8Array(3) }
    const loading = Effect.runPromise(Effect.flip(Effect.scoped(backend.load(model))))
    await new Promise((r) => setTimeout(r, 10))
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const error = await loading
    expect(error._tag).toBe("ModelLoadError")
    expect(error.message).toMatch(/closed/)
    expect(releases).toBe(loads)
  })

  it("releases a session only after the runs in flight on it", async () => {
    const released: Array<string> = []
    let finish: () => void = () => {}
    const backend = build<"ref">({
      name: "slow",
      capabilities: { modelInput: "ref" },
      load: async () => ({
        inputNames: ["x"],
        outputNames: ["x"],
        run: (feeds) => new Promise((resolve) => (finish = () => resolve(feeds))),
        release: async () => {
          released.push("released")
        },
      }),
    })
    const lease = Scope.makeUnsafe()
    const session = await Effect.runPromise(Scope.provide(backend.load(remoteRef()), lease))
    const running = session.runPromise({ x: Tensor.zeros("float32", [1]) })
    const closing = Effect.runPromise(Scope.close(lease, Exit.void))
    await new Promise((r) => setTimeout(r, 20))
    expect(released).toEqual([])
    finish()
    await running
    await closing
    expect(released).toEqual(["released"])
  })

  it("warns on the session about neutral options it does not apply, and passes the backend its own bag only", async () => {
    const log: RemoteLog = { loads: [], released: [] }
    const backend = build(remoteAdapter(log))
    const session = await Effect.runPromise(
      Effect.scoped(
        backend.load(remoteRef(), {
          threads: 2,
          device: "gpu",
          backendOptions: { remote: { unknown: 1 }, "onnxruntime-node": { intraOpNumThreads: 4 } },
        }),
      ),
    )
    expect(session.warnings.map((w) => w.setting)).toEqual(["threads", "device", "unknown"])
    expect(session.warnings[0]!.message).toMatch(/remote does not apply the "threads" option/)
  })

  it("reports the warnings of a model's load to whoever watches the models", async () => {
    const log: RemoteLog = { loads: [], released: [] }
    const events: Array<Model.Event> = []
    const layer = Layer.mergeAll(
      memoryRuntime().layer,
      Layer.effect(Remote, InferenceBackend.make(remoteAdapter(log))),
    )
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* Model.watch((event) => events.push(event), Remote)
        yield* Effect.scoped(Model.session(remoteRef(), { threads: 4 }, Remote))
      }).pipe(Effect.provide(layer)),
    )
    expect(events).toEqual([
      {
        _tag: "Loaded",
        model: "scorer",
        version: undefined,
        warnings: [expect.objectContaining({ setting: "threads" })],
      },
    ])
  })

  it("warms up with zeros shaped from the declared inputs, symbolic dims as 1", async () => {
    const seen: Array<ReadonlyArray<number>> = []
    const backend = build<"ref">({
      name: "shapes",
      capabilities: { modelInput: "ref" },
      load: async () => ({
        inputNames: ["x"],
        outputNames: ["x"],
        inputs: [{ name: "x", dtype: "float32", dims: ["batch", 3, -1] }],
        run: async (feeds) => {
          seen.push(feeds.x!.dims)
          return feeds
        },
        release: async () => {},
      }),
    })
    await Effect.runPromise(Effect.scoped(backend.load(remoteRef(), { warmup: true })))
    expect(seen).toEqual([[1, 3, 1]])
  })

  it("turns a failed load into ModelLoadError and a failed run into InferenceError, both naming the model", async () => {
    const backend = build(remoteAdapter({ loads: [], released: [] }))
    const loadError = await Effect.runPromise(
      Effect.flip(Effect.scoped(backend.load(ModelRef.make("absent", "remote:absent")))),
    )
    expect(loadError._tag).toBe("ModelLoadError")
    expect(loadError.message).toMatch(
      /loading "absent" \(remote:absent\) into remote failed: the server has no model/,
    )
    const session = await Effect.runPromise(Scope.provide(backend.load(remoteRef()), held()))
    const runError = await session
      .runPromise({ wrong: Tensor.zeros("float32", [1, 2]) })
      .catch((e) => e)
    expect(runError._tag).toBe("InferenceError")
    expect(runError.message).toMatch(/running "scorer" on remote failed: needs an input named "x"/)
  })

  it("derives runSteps from run for an engine without a step loop", async () => {
    const backend = build(remoteAdapter({ loads: [], released: [] }))
    const session = await Effect.runPromise(Scope.provide(backend.load(remoteRef("4")), held()))
    const read: Array<number> = []
    const done = await session.runSteps({
      feeds: { x: Tensor.zeros("float32", [1, 2]) },
      steps: 3,
      prepare: () => {},
      read: (_, outputs) => {
        read.push((outputs.y!.data as Float32Array)[0]!)
        return false
      },
    })
    expect(done.steps).toBe(3)
    expect(read).toEqual([4, 4, 4])
  })
})

describe("a pipeline served by two backends", () => {
  // Type arguments are inferred (from `encode` and `decode`), so `backend` can be too.
  const scored = Infer.infer({
    name: "scored",
    model: remoteRef(),
    backend: Remote,
    encode: (row: Array<number>) => ({
      x: Tensor.float32(Float32Array.from(row), [1, row.length]),
    }),
    decode: (outputs): number => (outputs.y!.data as Float32Array)[0]!,
  })
  const summed = Infer.infer<ReadonlyArray<ReadonlyArray<number>>, Array<number>>({
    name: "summed",
    model: sumModel,
    encode: rowsFeeds,
    decode: sums,
  })

  it("runs each stage on its own backend; the ref backend never asks the source for bytes", async () => {
    const log: RemoteLog = { loads: [], released: [] }
    const memory = memoryRuntime()
    const pipeline = Pipeline.make("two-backends", summed, scored)
    const layer = Layer.mergeAll(
      memory.layer,
      Layer.effect(Remote, InferenceBackend.make(remoteAdapter(log))),
    )
    // The pipeline's services name both backends: leaving one out is a type error.
    const _withoutRemote = () =>
      // @ts-expect-error Remote is not provided
      Effect.runPromise(Pipeline.run(pipeline, [[1]]).pipe(Effect.provide(memory.layer)))
    const result = await Effect.runPromise(
      Pipeline.run(pipeline, [
        [1, 2],
        [3, 4],
      ]).pipe(Effect.provide(layer)),
    )
    expect(result).toBe(0)
    expect(memory.session("sum").calls()).toBe(1)
    expect(log.loads.map((ref) => ref.name)).toEqual(["scorer"])
    // Released when the layer's scope closed.
    expect(log.released).toEqual(["scorer@-"])
  })

  it("a ref backend follows its source's announced versions by name", async () => {
    const log: RemoteLog = { loads: [], released: [] }
    const scope = Scope.makeUnsafe()
    scopes.push(scope)
    const source = Effect.runSync(Scope.provide(ModelSource.memory(), scope))
    const layer = Layer.mergeAll(
      Layer.succeed(ModelSource.ModelSource, source),
      Layer.effect(Remote, InferenceBackend.make(remoteAdapter(log))),
    )
    const pipeline = Pipeline.make("remote-versions", scored)
    await Effect.runPromise(
      Effect.gen(function* () {
        expect(yield* Pipeline.run(pipeline, [1, 1])).toBe(0)
        yield* source.publish("scorer", { bytes: new Uint8Array(), version: "3" })
        for (let i = 0; i < 500 && (yield* Pipeline.run(pipeline, [1, 1])) !== 3; i++) {
          yield* Effect.sleep("2 millis")
        }
        expect(yield* Pipeline.run(pipeline, [1, 1])).toBe(3)
      }).pipe(Effect.provide(layer)),
    )
    expect(log.loads.map((ref) => ref.version)).toEqual([undefined, "3"])
    expect(log.released).toEqual(["scorer@-", "scorer@3"])
  })
})
