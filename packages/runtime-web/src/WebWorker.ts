/**
 * Running a pipeline in a Web Worker, with core's transport over comlink
 * (the same code as the Node worker_threads offload).
 *
 * ```ts
 * // gate.worker.ts
 * serveWorker(VoiceGate.file, WebRuntime.layer({ wasmPaths, models }))
 * // page
 * const runner = connectWorker<typeof VoiceGate.file>(
 *   new Worker(new URL("./gate.worker.ts", import.meta.url), { type: "module" }),
 * )
 * ```
 */
import { type Pipeline, type Runner, Transport } from "@edgeline/core"
import type { Layer } from "effect"

/** Serves `pipeline` from inside a Web Worker (`options.tapDrainMs`: see `Transport.serve`). */
export const serveWorker = <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  layer: Layer.Layer<R, ER>,
  options?: Transport.ServeOptions,
): void => {
  if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "undefined") {
    throw new Error("serveWorker must be called inside a Web Worker")
  }
  Transport.serve(pipeline, layer, globalThis as unknown as Transport.Endpoint, options)
}

export type ConnectOptions = Omit<Transport.ConnectOptions, "terminate" | "watch">

/** A Runner for the pipeline a Worker serves; `close()` terminates the worker. */
export const connectWorker = <P extends Pipeline.Any>(
  worker: Worker,
  options: ConnectOptions = {},
): Runner.Runner<Pipeline.Input<P>, Pipeline.Output<P>> =>
  Transport.connect<P>(worker as unknown as Transport.Endpoint, {
    ...options,
    terminate: () => worker.terminate(),
    watch: ({ fail }) => {
      worker.addEventListener("error", (event) =>
        fail(`the worker failed: ${event.message || "script error (is the worker URL right?)"}`),
      )
    },
  })
