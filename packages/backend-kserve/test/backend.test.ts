/**
 * The KServe backend against a real KServe v2 server on loopback (see
 * support/kserveServer.ts) serving Silero VAD v5: what a load asks the
 * server and what the session says, runs, and every way it fails — a
 * model or version the server lacks, a model not ready, a server down or
 * silent, a run the server refuses, an answer that is not KServe.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import {
  type InferenceBackend,
  InferenceError,
  ModelLoadError,
  ModelRef,
  Tensor,
} from "@edgeline/core"
import { Effect, type Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { KServeBackend } from "../src/index.js"
import { type KServeServer, start } from "./support/kserveServer.js"
import { served } from "./support/models.js"

let server: KServeServer
beforeAll(async () => {
  server = await start(served)
})
afterAll(() => server?.close())

const silero = ModelRef.make("silero_vad_v5", "kserve:silero_vad_v5")

const zeros: Tensor.Feeds = {
  input: Tensor.zeros("float32", [1, 576]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: Tensor.int64(BigInt64Array.of(16000n), []),
}

/** Runs `use` with a KServe backend whose scope closes afterwards. */
const withBackend = <A, E>(
  options: Partial<KServeBackend.Options>,
  use: (backend: InferenceBackend.Shape) => Effect.Effect<A, E, Scope.Scope>,
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(KServeBackend.make({ url: server.url, ...options }), use)),
  )

/** The typed failure of loading `ref` (with `options`), which must fail. */
const loadFailure = (
  ref: ModelRef.ModelRef,
  options: Partial<KServeBackend.Options> = {},
  session: InferenceBackend.SessionOptions = {},
) => withBackend(options, (backend) => Effect.flip(backend.load(ref, session)))

/** A port nothing listens on: a server opened and closed again. */
const closedPort = async (): Promise<number> => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

describe("loading a model by name", () => {
  it("describes the backend: a ref backend that batches, every dtype, warm-up only", async () => {
    const backend = await withBackend({}, (b) => Effect.succeed(b))
    expect(backend.name).toBe("kserve")
    expect(backend.specificationVersion).toBe("v1")
    expect(backend.capabilities).toMatchObject({
      modelInput: "ref",
      batching: true,
      recurrentSteps: false,
      options: ["warmup"],
    })
    expect([...backend.capabilities.dtypes].sort()).toEqual(
      ["bool", "float16", "float32", "float64", "int16", "int32", "int64", "int8"]
        .concat(["uint16", "uint32", "uint64", "uint8"])
        .sort(),
    )
  })

  it("asks the server for the model's metadata and readiness, and sends no bytes", async () => {
    const before = server.requests.length
    const session = await withBackend({}, (b) => b.load(silero))
    expect(session.model).toBe("silero_vad_v5")
    expect(session.inputNames).toEqual(["input", "state", "sr"])
    expect(session.outputNames).toEqual(["output", "stateN"])
    expect(session.provider).toBe(`kserve:${server.url}`)
    // The server lists one version, so that is the one it serves.
    expect(session.version).toBe("5")
    expect(session.warnings).toEqual([])
    expect(
      server.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.body.length}`),
    ).toEqual(["GET /v2/models/silero_vad_v5 0", "GET /v2/models/silero_vad_v5/ready 0"])
  })

  it("a ref with a version asks for that version, and runs it", async () => {
    const before = server.requests.length
    const outputs = await withBackend({}, (b) =>
      Effect.flatMap(b.load({ ...silero, version: "5" }), (session) => session.run(zeros)),
    )
    expect(outputs.output!.dims).toEqual([1, 1])
    expect(outputs.stateN!.dims).toEqual([2, 1, 128])
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /v2/models/silero_vad_v5/versions/5",
      "GET /v2/models/silero_vad_v5/versions/5/ready",
      "POST /v2/models/silero_vad_v5/versions/5/infer",
    ])
  })

  it("runs give the tensors onnxruntime computed on the server, dtypes included", async () => {
    const outputs = await withBackend({}, (b) =>
      Effect.flatMap(b.load(silero), (session) => Effect.promise(() => session.runPromise(zeros))),
    )
    expect(outputs.output!.dtype).toBe("float32")
    const p = (outputs.output!.data as Float32Array)[0]!
    expect(p).toBeGreaterThanOrEqual(0)
    expect(p).toBeLessThan(0.1) // silence
  })

  it("warm-up feeds run once on the server before the session is handed out", async () => {
    const before = server.requests.length
    await withBackend({}, (b) => b.load(silero, { warmup: zeros }))
    expect(server.requests.slice(before).filter((r) => r.path.endsWith("/infer"))).toHaveLength(1)
  })

  it("options it cannot apply are warnings: threads, an unknown own option, a pinned sha256", async () => {
    const session = await withBackend({}, (b) =>
      b.load(
        { ...silero, sha256: "00".repeat(32) },
        { threads: 1, backendOptions: { kserve: { retries: 3 }, "onnxruntime-node": { x: 1 } } },
      ),
    )
    expect(session.warnings.map((w) => w.setting).sort()).toEqual([
      "backendOptions.kserve.retries",
      "sha256",
      "threads",
    ])
    expect(session.warnings.find((w) => w.setting === "sha256")!.message).toMatch(
      /runs the server's own copy of "silero_vad_v5", so the sha256 the ref pins is not checked/,
    )
  })

  it("own options: headers are sent with every request, merged over the backend's", async () => {
    const before = server.requests.length
    await withBackend({ headers: { authorization: "Bearer a", "x-team": "edge" } }, (b) =>
      b.load(silero, { backendOptions: { kserve: { headers: { authorization: "Bearer b" } } } }),
    )
    for (const request of server.requests.slice(before)) {
      expect(request.headers.authorization).toBe("Bearer b")
      expect(request.headers["x-team"]).toBe("edge")
    }
  })
})

describe("load failures are ModelLoadErrors that say why", () => {
  it("a model the server lacks: names the model and the server's URL", async () => {
    const error = await loadFailure(ModelRef.make("whisper_tiny", "kserve:whisper_tiny"))
    expect(error).toBeInstanceOf(ModelLoadError)
    expect(error.model).toBe("whisper_tiny")
    expect(error.message).toContain(
      `the KServe server at ${server.url} has no model "whisper_tiny"`,
    )
    expect(error.message).toContain("Request for unknown model: 'whisper_tiny' is not found")
  })

  it("a version the server lacks: names the version", async () => {
    const error = await loadFailure({ ...silero, version: "7" })
    expect(error.message).toContain(`has no version "7" of model "silero_vad_v5"`)
    expect(error.message).toContain("404")
  })

  it("a model that is not ready", async () => {
    const error = await loadFailure(ModelRef.make("warming_up", "kserve:warming_up"))
    expect(error).toBeInstanceOf(ModelLoadError)
    expect(error.message).toMatch(
      /model "warming_up" is not ready: .* answered GET \/v2\/models\/warming_up\/ready with 400/,
    )
  })

  it("a server that is down: names the URL and the system error", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const error = await loadFailure(silero, { url })
    expect(error).toBeInstanceOf(ModelLoadError)
    expect(error.model).toBe("silero_vad_v5")
    expect(error.message).toContain(
      `cannot reach the KServe server at ${url} (GET /v2/models/silero_vad_v5)`,
    )
    expect(error.message).toContain("ECONNREFUSED")
  })

  it("a server that never answers: the own timeout, named", async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
      const error = await loadFailure(
        silero,
        { url },
        { backendOptions: { kserve: { timeoutMs: 200 } } },
      )
      expect(error.message).toContain(
        `the KServe server at ${url} did not answer GET /v2/models/silero_vad_v5 within 200 ms`,
      )
    } finally {
      silent.closeAllConnections()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it("an answer that is not KServe v2: says what the server sent", async () => {
    const proxy: typeof fetch = async () =>
      new Response("<html>502 Bad Gateway</html>", { status: 200 })
    const error = await loadFailure(silero, { fetch: proxy })
    expect(error.message).toContain(
      `the server's model metadata is not JSON: "<html>502 Bad Gateway</html>"`,
    )
  })

  it("invalid own options", async () => {
    const error = await loadFailure(silero, {}, { backendOptions: { kserve: { timeoutMs: -1 } } })
    expect(error.message).toMatch(
      /backendOptions\.kserve is invalid: .*greater than 0 at \["timeoutMs"\]/,
    )
  })

  it("a URL that is not one", async () => {
    const error = await loadFailure(silero, { url: "localhost:8000" })
    expect(error.message).toContain(`"localhost:8000" is not an http(s) URL`)
  })
})

describe("run failures are InferenceErrors with the server's message", () => {
  const runFailure = (feeds: Tensor.Feeds) =>
    withBackend({}, (b) =>
      Effect.flatMap(b.load(silero), (session) => Effect.flip(session.run(feeds))),
    )

  it("an input name the model lacks", async () => {
    const error = await runFailure({ ...zeros, audio: Tensor.zeros("float32", [1, 576]) })
    expect(error).toBeInstanceOf(InferenceError)
    expect(error.model).toBe("silero_vad_v5")
    expect(error.message).toContain(
      `answered POST /v2/models/silero_vad_v5/infer with 400 Bad Request: "unexpected inference input 'audio' for model 'silero_vad_v5'"`,
    )
  })

  it("a wrong dtype", async () => {
    const error = await runFailure({ ...zeros, sr: Tensor.make("int32", Int32Array.of(16000), []) })
    expect(error.message).toContain(
      `"inference input 'sr' data-type is 'INT32', but model 'silero_vad_v5' expects 'INT64'"`,
    )
  })

  it("a server gone since the load: says it was not reached, not that the inputs are wrong", async () => {
    const gone = await start(served.slice(0, 1))
    const error = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const backend = yield* KServeBackend.make({ url: gone.url })
          const session = yield* backend.load(silero)
          yield* Effect.promise(() => gone.close())
          return yield* Effect.flip(session.run(zeros))
        }),
      ),
    )
    expect(error).toBeInstanceOf(InferenceError)
    expect(error.message).toMatch(
      new RegExp(
        `^running "silero_vad_v5" failed: cannot reach the KServe server at ${gone.url} \\(POST /v2/models/silero_vad_v5/infer\\): .*fetch failed`,
      ),
    )
    expect(error.message).not.toContain("check the input names")
  })

  it("a value JSON cannot carry is refused before anything is sent", async () => {
    const before = server.requests.length
    const error = await runFailure({
      ...zeros,
      input: Tensor.float32(new Float32Array(576).fill(Number.NaN), [1, 576]),
    })
    expect(error).toBeInstanceOf(InferenceError)
    expect(error.message).toContain(`input "input" (float32) cannot be sent as KServe v2 JSON`)
    expect(server.requests.slice(before).filter((r) => r.method === "POST")).toEqual([])
  })
})
