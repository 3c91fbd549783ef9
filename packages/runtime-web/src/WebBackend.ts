/**
 * `InferenceBackend` over onnxruntime-web. WebGPU is tried first where
 * `navigator.gpu` offers an adapter, then wasm; each session reports the
 * provider it got. ORT's `.wasm` comes from `wasmPaths` — your own server,
 * never a CDN. Threads are used when the page is cross-origin isolated
 * (COOP/COEP); otherwise ORT runs on one.
 *
 * Neutral options: `device: "cpu"` runs on wasm, `"gpu"` on WebGPU when an
 * adapter is offered (wasm otherwise, with a warning). `threads` gives a
 * warning: onnxruntime-web has one thread pool per page or worker, set with
 * the layer's `threads`. ORT's own choice of providers goes in
 * `backendOptions["onnxruntime-web"]`, e.g. `{ executionProviders: ["wasm"] }`.
 *
 * onnxruntime-web runs one inference at a time per page or worker: a second
 * `run` while one is under way, on any session, fails with "Session already
 * started". Concurrent runs (micro-batches, two pipelines in one worker)
 * therefore take turns here, in the order they were asked for.
 */
import { InferenceBackend } from "@edgeline/core"
import { OrtBackend } from "@edgeline/ort"
import { Effect, Layer } from "effect"
import * as ort from "onnxruntime-web"
import { messageOf } from "./internal/messageOf.js"
import { sha256Hex } from "./Sha256.js"

export interface Options {
  /** Where ORT's files are served: a folder URL ending in "/", or `{ wasm, mjs }` file URLs. */
  readonly wasmPaths: ort.Env.WasmPrefixOrFilePaths
  /** Execution providers in order of preference (default ["webgpu", "wasm"]). */
  readonly executionProviders?: ReadonlyArray<"webgpu" | "wasm"> | undefined
  /**
   * wasm threads when cross-origin isolated (default: the machine's cores, at
   * most 4). onnxruntime-web has one thread pool for the page or worker, so
   * this applies to every session; a stage's `threads` has no effect here.
   */
  readonly threads?: number | undefined
}

/** The backend's name, and its key in `SessionOptions.backendOptions`. */
export const NAME = "onnxruntime-web"

type Provider = "webgpu" | "wasm"

/** The providers a session asks for: its own ORT list, else its device, else the layer's. */
const preferred = (
  session: InferenceBackend.LoadOptions,
  fallback: ReadonlyArray<Provider> | undefined,
): ReadonlyArray<string> => {
  const own = session.own.executionProviders
  if (Array.isArray(own)) return own as ReadonlyArray<string>
  if (session.device === "cpu") return ["wasm"]
  if (session.device === "gpu") return ["webgpu", "wasm"]
  return fallback ?? ["webgpu", "wasm"]
}

/** What the environment gave ORT: read back after configuring, not assumed. */
export interface Environment {
  readonly crossOriginIsolated: boolean
  readonly threads: number
  /** `navigator.gpu` exists; whether it yields an adapter shows in a session's `provider`. */
  readonly webgpu: boolean
}

interface GpuNavigator {
  readonly gpu?: { requestAdapter(): Promise<unknown | null> }
}

const isolated = (): boolean =>
  (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true

/**
 * Points ORT at its wasm files and sets its thread count (the cores, at most 4,
 * when cross-origin isolated, else 1) and log level, for the whole page or
 * worker. The layer calls it; a hand-written ORT loop calls it to match.
 */
export const configure = (options: Options): void => {
  ort.env.wasm.wasmPaths = options.wasmPaths
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1
  // Without isolation there is no SharedArrayBuffer: ORT would fall back to 1 anyway.
  ort.env.wasm.numThreads = isolated() ? Math.max(1, Math.min(options.threads ?? cores, 4)) : 1
  ort.env.logLevel = "error"
}

/** The onnxruntime-web session options the backend uses, for one execution provider. */
export const sessionOptions = (
  provider: "webgpu" | "wasm",
): ort.InferenceSession.SessionOptions => ({
  executionProviders: [provider],
  graphOptimizationLevel: "all",
  logSeverityLevel: 3,
})

export const environment = (): Environment => ({
  crossOriginIsolated: isolated(),
  threads: ort.env.wasm.numThreads ?? 1,
  webgpu: (globalThis.navigator as GpuNavigator | undefined)?.gpu !== undefined,
})

/**
 * The end of the queue of runs: ORT's wasm module (the JSEP build, which
 * WebGPU needs) marks one run as current and refuses another until it ends,
 * so the queue is one per module, shared by every session and layer.
 */
let turn: Promise<unknown> = Promise.resolve()

/** Runs `task` once every run asked for before it has settled. */
const inTurn = <A>(task: () => Promise<A>): Promise<A> => {
  const result = turn.then(task)
  turn = result.catch(() => undefined)
  return result
}

/** The session with its runs taking turns (`release` needs none: ORT does not refuse it). */
const takingTurns = (session: ort.InferenceSession): OrtBackend.OrtSession => ({
  inputNames: session.inputNames,
  outputNames: session.outputNames,
  inputMetadata: session.inputMetadata as ReadonlyArray<OrtBackend.OrtValueMetadata>,
  outputMetadata: session.outputMetadata as ReadonlyArray<OrtBackend.OrtValueMetadata>,
  run: (feeds) =>
    inTurn(() => session.run(feeds as Record<string, ort.Tensor>)) as Promise<
      Record<string, OrtBackend.OrtTensor>
    >,
  release: () => session.release(),
})

const gpuAdapter = async (): Promise<boolean> => {
  const gpu = (globalThis.navigator as GpuNavigator | undefined)?.gpu
  if (gpu === undefined) return false
  try {
    return (await gpu.requestAdapter()) !== null
  } catch {
    return false
  }
}

/** The backend as a scoped Layer: closing the scope releases every session. */
export const layer = (options: Options): Layer.Layer<InferenceBackend.InferenceBackend> =>
  Layer.effect(
    InferenceBackend.InferenceBackend,
    Effect.suspend(() => {
      configure(options)
      // Asked once per runtime, on the first load that wants WebGPU: the answer does not change.
      let adapter: Promise<boolean> | undefined
      const hasAdapter = () => {
        adapter ??= gpuAdapter()
        return adapter
      }
      // Unknown provider names are ignored.
      const providers = async (wanted: ReadonlyArray<string>) => {
        const known = wanted.filter((p): p is Provider => p === "webgpu" || p === "wasm")
        const gpu = known.includes("webgpu") && (await hasAdapter())
        return known.filter((p) => p === "wasm" || gpu)
      }
      return OrtBackend.make({
        name: NAME,
        Tensor: ort.Tensor,
        hash: sha256Hex,
        // "threads" is not among them: one pool per page, set on the layer.
        options: ["device"],
        create: async (model, session) => {
          const failures: Array<string> = []
          const tried = await providers(preferred(session, options.executionProviders))
          for (const provider of tried) {
            try {
              const created = await ort.InferenceSession.create(model.bytes, {
                ...sessionOptions(provider),
                ...(session.own as ort.InferenceSession.SessionOptions),
                executionProviders: [provider],
              })
              const warnings: Array<InferenceBackend.Warning> =
                session.device === "gpu" && provider !== "webgpu"
                  ? [
                      {
                        setting: "device",
                        message: `no WebGPU adapter here: "device: gpu" runs on ${provider}`,
                      },
                    ]
                  : []
              return { session: takingTurns(created), provider, warnings }
            } catch (e) {
              failures.push(`${provider}: ${messageOf(e)}`)
            }
          }
          throw new Error(
            `${failures.join("; ") || "no execution provider is available"}; are ORT's wasm files served at wasmPaths?`,
          )
        },
      })
    }),
  )
