import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  InferenceBackend,
  InferenceError,
  Model,
  ModelLoadError,
  ModelRef,
  type ModelSource,
  Tensor,
} from "@edgeline/core"
import { Context, Effect, Layer, type Scope } from "effect"
import * as ort from "onnxruntime-node"
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { ModelSources, NodeRuntime } from "../src/index.js"

const SILERO_SPEC = "@ricky0123/vad-web/dist/silero_vad_v5.onnx"
const sileroPath = createRequire(import.meta.url).resolve(SILERO_SPEC)
const silero = ModelRef.make("silero_vad_v5", `npm:${SILERO_SPEC}`)

/** ORT's session class is typed as a factory; at runtime `run` and `release` live on its prototype. */
const sessionProto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession })
  .prototype

type Services = InferenceBackend.InferenceBackend | ModelSource.ModelSource | Scope.Scope

/** Runs `effect` against a fresh Node runtime (its scope, and so its sessions, close at the end). */
const run = <A, E>(effect: Effect.Effect<A, E, Services>): Promise<A> =>
  Effect.runPromise(Effect.provide(Effect.scoped(effect), NodeRuntime.layer()))

/** The typed failure of `effect`; rejects if it succeeds (or dies). */
const failure = <A, E>(effect: Effect.Effect<A, E, Services>): Promise<E> =>
  run(Effect.flip(effect))

const frameFeeds = (input = new Float32Array(576)) => ({
  input: Tensor.float32(input, [1, 576]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: Tensor.int64(BigInt64Array.from([16000n]), []),
})

/** A 576-sample window of a 440 Hz tone. */
const tone = () =>
  Float32Array.from({ length: 576 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000))

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "edgeline-backend-"))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})
afterEach(() => {
  vi.restoreAllMocks()
})

describe("OnnxBackend through NodeRuntime.layer()", () => {
  it("declares Silero's signature: element types, fixed dims and unnamed symbolic ones", async () => {
    const signature = await run(Effect.map(Model.session(silero), (session) => session.signature))
    expect(signature).toEqual({
      inputs: [
        { name: "input", dtype: "float32", dims: ["", ""] },
        { name: "state", dtype: "float32", dims: [2, "", 128] },
        { name: "sr", dtype: "int64", dims: [] },
      ],
      outputs: [
        { name: "output", dtype: "float32", dims: ["", 1] },
        { name: "stateN", dtype: "float32", dims: ["", "", ""] },
      ],
    })
  })

  it("loads Silero VAD v5 and runs one frame: output [1, 1], stateN [2, 1, 128] moved off zero", async () => {
    const { session, out } = await run(
      Effect.gen(function* () {
        const session = yield* Model.session(silero)
        const out = yield* session.run(frameFeeds(tone()))
        return { session, out }
      }),
    )
    expect(session.model).toBe("silero_vad_v5")
    expect(session.provider).toBe("cpu")
    expect([...session.inputNames].sort()).toEqual(["input", "sr", "state"])
    expect([...session.outputNames].sort()).toEqual(["output", "stateN"])

    const output = out.output!
    const stateN = out.stateN!
    expect(output.dtype).toBe("float32")
    expect(output.dims).toEqual([1, 1])
    const p = (output.data as Float32Array)[0]!
    expect(p).toBeGreaterThanOrEqual(0)
    expect(p).toBeLessThanOrEqual(1)
    expect(stateN.dtype).toBe("float32")
    expect(stateN.dims).toEqual([2, 1, 128])
    expect(stateN.data).toHaveLength(256)
    const moved = (stateN.data as Float32Array).filter((v) => v !== 0).length
    expect(moved).toBeGreaterThan(0)
  })

  it("shares ONE ORT session between refs with different names and uris but the same bytes", async () => {
    const create = vi.spyOn(ort.InferenceSession, "create")
    const byFile = ModelRef.make("vad-by-file", ModelSources.fileUri(sileroPath))
    const { a, b, c, threaded } = await run(
      Effect.gen(function* () {
        const a = yield* Model.session(silero)
        const b = yield* Model.session(byFile)
        const c = yield* Model.session(ModelRef.make("vad-by-path", sileroPath))
        // Other session options are another session, even for the same bytes.
        const threaded = yield* Model.session(silero, { threads: 2 })
        return { a, b, c, threaded }
      }),
    )
    expect(b).toBe(a)
    expect(c).toBe(a)
    expect(threaded).not.toBe(a)
    expect(create).toHaveBeenCalledTimes(2)
    // The shared session keeps the name of the ref that loaded it first.
    expect(b.model).toBe("silero_vad_v5")
  })

  it("warms up with explicit feeds: one ORT run during load, before the first real run", async () => {
    const ortRun = vi.spyOn(sessionProto, "run")
    const session = await run(Model.session(silero, { warmup: frameFeeds() }))
    expect(ortRun).toHaveBeenCalledTimes(1)
    expect(Object.keys(ortRun.mock.calls[0]![0] as object).sort()).toEqual(["input", "sr", "state"])
    expect(session.inputNames).toContain("input")
  })

  it("fails `warmup: true` on Silero (symbolic input dims become [1, 1]) with a typed ModelLoadError", async () => {
    const release = vi.spyOn(sessionProto, "release")
    const error = await failure(Model.session(silero, { warmup: true }))
    expect(error).toBeInstanceOf(ModelLoadError)
    expect(error._tag).toBe("ModelLoadError")
    expect(error.model).toBe("silero_vad_v5")
    expect(error.message).toMatch(/warm/i)
    expect(error.message).toContain("pass the warm-up feeds")
    expect(error.message).not.toMatch(/valid ONNX/)
    // The session that failed its warm-up is released at once, not kept until the scope closes.
    expect(release).toHaveBeenCalledTimes(1)
  })

  it("fails on bytes that are not ONNX with a typed ModelLoadError that says so", async () => {
    const garbage = join(tmp, "garbage.onnx")
    await writeFile(garbage, "this is not a protobuf, let alone an ONNX graph\n".repeat(20))
    const error = await failure(Model.session(ModelRef.make("garbage", garbage)))
    expect(error).toBeInstanceOf(ModelLoadError)
    expect(error._tag).toBe("ModelLoadError")
    expect(error.model).toBe("garbage")
    expect(error.message).toContain("ONNX")
    expect(error.message).toContain(garbage)
  })

  it("fails a run with wrong input names with a typed InferenceError naming the real inputs", async () => {
    const error = await failure(
      Effect.gen(function* () {
        const session = yield* Model.session(silero)
        return yield* session.run({
          audio: Tensor.zeros("float32", [1, 576]),
          h: Tensor.zeros("float32", [2, 1, 128]),
        })
      }),
    )
    expect(error).toBeInstanceOf(InferenceError)
    expect(error._tag).toBe("InferenceError")
    expect(error.model).toBe("silero_vad_v5")
    expect(error.message).toContain("inputs: input, state, sr")
  })

  it("releases the ORT session when the layer's scope closes: the old session no longer runs", async () => {
    const release = vi.spyOn(sessionProto, "release")
    const { session, before } = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(NodeRuntime.layer())
          const session = yield* Effect.provide(Model.session(silero), context)
          const before = yield* session.run(frameFeeds())
          return { session, before }
        }),
      ),
    )
    expect(before.output!.dims).toEqual([1, 1])
    expect(release).toHaveBeenCalledTimes(1)
    // Refused by Edgeline before it reaches the freed native session.
    const after = await Effect.runPromise(Effect.flip(session.run(frameFeeds())))
    expect(after).toBeInstanceOf(InferenceError)
    expect(after.message).toMatch(/was released/i)
  })

  it("a released backend's successor loads afresh (the cache does not outlive the scope)", async () => {
    const create = vi.spyOn(ort.InferenceSession, "create")
    const first = await run(Model.session(silero))
    const { second, out } = await run(
      Effect.gen(function* () {
        const second = yield* Model.session(silero)
        return { second, out: yield* second.run(frameFeeds()) }
      }),
    )
    expect(second).not.toBe(first)
    expect(create).toHaveBeenCalledTimes(2)
    expect(out.output!.dims).toEqual([1, 1])
  })

  it("passes tensors to and from ORT without copying their data", async () => {
    const seen: Array<{ feeds: Record<string, ort.Tensor>; outputs: Record<string, ort.Tensor> }> =
      []
    const original = sessionProto.run
    vi.spyOn(sessionProto, "run").mockImplementation(async function (
      this: ort.InferenceSession,
      ...args: Parameters<ort.InferenceSession["run"]>
    ) {
      const outputs = await original.apply(this, args)
      seen.push({ feeds: args[0] as Record<string, ort.Tensor>, outputs })
      return outputs
    })
    const input = tone()
    const feeds = frameFeeds(input)
    const out = await run(
      Effect.gen(function* () {
        const session = yield* Model.session(silero)
        return yield* session.run(feeds)
      }),
    )
    expect(seen).toHaveLength(1)
    const call = seen[0]!
    // In: ORT's tensors wrap our typed arrays.
    expect(call.feeds.input!.data).toBe(input)
    expect(call.feeds.state!.data).toBe(feeds.state.data)
    expect(call.feeds.sr!.data).toBe(feeds.sr.data)
    // Out: our tensors hold the very typed arrays ORT returned.
    expect(out.output!.data).toBe(call.outputs.output!.data)
    expect(out.stateN!.data).toBe(call.outputs.stateN!.data)
    expect(out.stateN!.dims).toEqual(call.outputs.stateN!.dims)
  })

  it("is one InferenceBackend service named onnxruntime-node", async () => {
    const name = await Effect.runPromise(
      Effect.scoped(
        Effect.map(
          Layer.build(NodeRuntime.layer()),
          (ctx) => Context.get(ctx, InferenceBackend.InferenceBackend).name,
        ),
      ),
    )
    expect(name).toBe("onnxruntime-node")
  })

  it("implements spec v1 and says what it can do", async () => {
    const backend = await Effect.runPromise(
      Effect.scoped(
        Effect.map(Layer.build(NodeRuntime.layer()), (ctx) =>
          Context.get(ctx, InferenceBackend.InferenceBackend),
        ),
      ),
    )
    expect(backend.specificationVersion).toBe(InferenceBackend.specificationVersion)
    expect(backend.capabilities).toMatchObject({
      modelInput: "bytes",
      batching: true,
      recurrentSteps: true,
      options: expect.arrayContaining(["warmup", "threads", "device"]),
    })
    expect(backend.capabilities.dtypes).toEqual(
      expect.arrayContaining(["float32", "int64", "bool"]),
    )
  })

  it('warns, on the session, that "device: gpu" runs on the CPU here', async () => {
    const session = await run(Model.session(silero, { device: "gpu" }))
    expect(session.provider).toBe("cpu")
    expect(session.warnings).toEqual([
      expect.objectContaining({
        setting: "device",
        message: expect.stringMatching(/runs on the CPU/),
      }),
    ])
    const plain = await run(Model.session(silero))
    expect(plain.warnings).toEqual([])
  })

  it("passes its own options bag to ORT and ignores other backends' bags", async () => {
    const create = vi.spyOn(ort.InferenceSession, "create")
    await run(
      Model.session(silero, {
        backendOptions: {
          "onnxruntime-node": { graphOptimizationLevel: "basic" },
          "onnxruntime-web": { executionProviders: ["webgpu"] },
        },
      }),
    )
    const options = create.mock.calls.at(-1)![1] as ort.InferenceSession.SessionOptions
    expect(options.graphOptimizationLevel).toBe("basic")
    expect(options.executionProviders).toBeUndefined()
    expect(options.intraOpNumThreads).toBe(1)
  })
})
