/**
 * An in-memory `InferenceBackend` + `ModelSource` for core's tests.
 *
 * It stands in for a real runtime (onnxruntime-node, onnxruntime-web, …)
 * because core must not depend on one: real runtimes live in their own
 * packages. The models here compute real outputs from their inputs, so a
 * test can check that each caller got *its own* answer (not just "an"
 * answer), and every session counts its calls and the rows of each call, so
 * a test can check how many backend calls a batch of callers cost.
 *
 * Like a real runtime, resolving and loading a model is asynchronous, and so
 * is a session run.
 *
 * Models (by `ModelRef.uri`, `mem:<name>`):
 * - `sum`: input `x` float32 [n, k] -> output `y` float32 [n, 1], y[i] = sum of row i.
 * - `accumulate` (recurrent): inputs `x` float32 [1, k] and `h` float32 [1, 1]
 *   -> outputs `y` and `h`, both [1, 1], equal to h + sum(x).
 * - `broken`: loads, but every run fails with `InferenceError`.
 * - `const:<k>`: input `x` float32 [n, …] -> output `y` float32 [n, 1], every
 *   value k: a model whose answer says which version of it ran.
 * Any other `mem:` name loads nothing (`ModelLoadError`); any other scheme
 * is not found (`ModelNotFoundError`).
 */
import { Duration, Effect, Layer, Scope } from "effect"
import { InferenceError, ModelLoadError, ModelNotFoundError } from "../../src/Errors.js"
import * as InferenceBackend from "../../src/InferenceBackend.js"
import * as ModelRef from "../../src/ModelRef.js"
import * as ModelSource from "../../src/ModelSource.js"
import * as Tensor from "../../src/Tensor.js"

export const sumModel = ModelRef.make("sum", "mem:sum")
export const accumulateModel = ModelRef.make("accumulate", "mem:accumulate")
export const brokenModel = ModelRef.make("broken", "mem:broken")
export const missingModel = ModelRef.make("missing", "nowhere:missing")
export const unloadableModel = ModelRef.make("garbage", "mem:garbage")

/** A session of the memory backend, with what it was asked to do. */
export interface MemorySession {
  readonly model: string
  /** Backend calls so far. */
  readonly calls: () => number
  /** Rows (dim 0 of the first input) of each call, in order. */
  readonly rowsPerCall: ReadonlyArray<number>
  /** Whether the backend has released it. */
  readonly released: () => boolean
}

export interface MemoryRuntimeOptions {
  /** Wall time of each session run (default: none, but still asynchronous). */
  readonly runDelayMs?: number
  /** Wall time of loading a model (default 5 ms, as a real load is never instant). */
  readonly loadDelayMs?: number
  /** The first this many resolves fail with `ModelNotFoundError` (a flaky download). */
  readonly failResolves?: number
  /**
   * A backend per built layer, closed with it (as a runtime's is), instead of
   * one shared by every `Effect.provide` of the layer and never closed.
   */
  readonly scoped?: boolean
  /** Serve models from this source instead of the `mem:` one (e.g. `ModelSource.memory()`, whose versions change). */
  readonly source?: ModelSource.Shape
}

export interface MemoryRuntime {
  readonly layer: Layer.Layer<InferenceBackend.InferenceBackend | ModelSource.ModelSource>
  /** Every session the backend created, in order. */
  readonly sessions: ReadonlyArray<MemorySession>
  /** How many times the backend loaded a model. */
  readonly loads: () => number
  /** The single session created for `model`; throws if there is none or several. */
  readonly session: (model: string) => MemorySession
}

const rowSums = (x: Tensor.Tensor): Tensor.Tensor<"float32"> => {
  const rows = x.dims[0] ?? 0
  const width = Tensor.size(x.dims.slice(1))
  const out = new Float32Array(rows)
  for (let r = 0; r < rows; r++) {
    let total = 0
    for (let c = 0; c < width; c++) total += Number(x.data[r * width + c])
    out[r] = total
  }
  return Tensor.float32(out, [rows, 1])
}

type Compute = (feeds: Tensor.Feeds) => Tensor.Feeds

const need = (feeds: Tensor.Feeds, name: string, model: string): Tensor.Tensor => {
  const t = feeds[name]
  if (t === undefined) {
    throw new InferenceError({ model, message: `model "${model}" needs an input named "${name}"` })
  }
  return t
}

const models: Record<string, { inputs: Array<string>; outputs: Array<string>; compute: Compute }> =
  {
    sum: {
      inputs: ["x"],
      outputs: ["y"],
      compute: (feeds) => ({ y: rowSums(need(feeds, "x", "sum")) }),
    },
    accumulate: {
      inputs: ["x", "h"],
      outputs: ["y", "h"],
      compute: (feeds) => {
        const total =
          rowSums(need(feeds, "x", "accumulate")).data[0]! +
          Number(need(feeds, "h", "accumulate").data[0])
        return {
          y: Tensor.float32(Float32Array.of(total), [1, 1]),
          h: Tensor.float32(Float32Array.of(total), [1, 1]),
        }
      },
    },
    broken: {
      inputs: ["x"],
      outputs: ["y"],
      compute: () => {
        throw new InferenceError({
          model: "broken",
          message: 'model "broken" failed: node 3 (MatMul) exploded',
        })
      },
    },
  }

/** The `const:<k>` model, or nothing for another name. */
const constant = (name: string) => {
  const k = /^const:(-?\d+(?:\.\d+)?)$/.exec(name)?.[1]
  if (k === undefined) return undefined
  return {
    inputs: ["x"],
    outputs: ["y"],
    compute: (feeds: Tensor.Feeds) => {
      const rows = need(feeds, "x", name).dims[0] ?? 0
      return { y: Tensor.float32(new Float32Array(rows).fill(Number(k)), [rows, 1]) }
    },
  }
}

const pause = (ms: number) => (ms > 0 ? Effect.sleep(Duration.millis(ms)) : Effect.yieldNow)

/** A fresh memory runtime: its own backend, so sessions and counters start at zero. */
export const memoryRuntime = (options: MemoryRuntimeOptions = {}): MemoryRuntime => {
  const sessions: Array<MemorySession> = []
  let loads = 0
  let resolves = 0

  const source = ModelSource.ModelSource.of({
    resolve: (ref) =>
      Effect.suspend(() => {
        resolves++
        if (resolves <= (options.failResolves ?? 0)) {
          return Effect.fail(
            new ModelNotFoundError({ model: ref.name, message: `download of "${ref.uri}" failed` }),
          )
        }
        return ref.uri.startsWith("mem:")
          ? Effect.as(pause(1), {
              ref,
              bytes: new TextEncoder().encode(ref.uri.slice("mem:".length)),
            })
          : Effect.fail(
              new ModelNotFoundError({ model: ref.name, message: `no model at "${ref.uri}"` }),
            )
      }),
  })

  // Built with core's own backend constructor, as a third-party adapter would be,
  // once: every `Effect.provide` of the layer shares it, as one runtime's calls do.
  const backend = InferenceBackend.make({
    name: "memory",
    capabilities: { modelInput: "bytes", batching: true },
    load: async (bytes) => {
      await Effect.runPromise(pause(options.loadDelayMs ?? 5))
      loads++
      const name = new TextDecoder().decode(bytes.bytes)
      const model = models[name] ?? constant(name)
      if (model === undefined) {
        throw new ModelLoadError({ model: bytes.ref.name, message: `"${name}" is not a model` })
      }
      let calls = 0
      let released = false
      const rowsPerCall: Array<number> = []
      sessions.push({
        model: bytes.ref.name,
        calls: () => calls,
        rowsPerCall,
        released: () => released,
      })
      return {
        inputNames: model.inputs,
        outputNames: model.outputs,
        provider: "memory",
        run: async (feeds) => {
          calls++
          rowsPerCall.push(Object.values(feeds)[0]?.dims[0] ?? 0)
          await Effect.runPromise(pause(options.runDelayMs ?? 0))
          return model.compute(feeds)
        },
        release: async () => {
          released = true
        },
      }
    },
  })

  return {
    layer: Layer.mergeAll(
      options.scoped
        ? Layer.effect(InferenceBackend.InferenceBackend, backend)
        : Layer.succeed(
            InferenceBackend.InferenceBackend,
            Effect.runSync(Scope.provide(backend, Scope.makeUnsafe())),
          ),
      Layer.succeed(ModelSource.ModelSource, options.source ?? source),
    ),
    sessions,
    loads: () => loads,
    session: (model) => {
      const found = sessions.filter((s) => s.model === model)
      if (found.length !== 1) {
        throw new Error(`expected one session of "${model}", the backend made ${found.length}`)
      }
      return found[0]!
    },
  }
}

/** Feeds for the `sum` model: one row per inner array. */
export const rowsFeeds = (rows: ReadonlyArray<ReadonlyArray<number>>): Tensor.Feeds => {
  const width = rows[0]?.length ?? 0
  return { x: Tensor.float32(Float32Array.from(rows.flat()), [rows.length, width]) }
}

/** The `y` output of the `sum` model as plain numbers. */
export const sums = (outputs: Tensor.Feeds): Array<number> =>
  Array.from(outputs.y!.data as Float32Array)
