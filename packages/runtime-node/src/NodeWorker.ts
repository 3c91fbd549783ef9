/**
 * Offloading a pipeline to a `worker_threads` Worker, with core's transport
 * over comlink's Node adapter.
 *
 * ```ts
 * // gate-worker.js
 * serveWorker(voiceGate, NodeRuntime.layer())
 * // main.js
 * const runner = connectWorker<typeof voiceGate>(new URL("./gate-worker.js", import.meta.url))
 * const result = await runner.run(wavBytes)
 * ```
 */
import { parentPort, Worker, type WorkerOptions } from "node:worker_threads"
import { type Pipeline, type Runner, Transport } from "@edgeline/core"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import type { Layer } from "effect"

/** Serves `pipeline` from inside a worker thread. */
export const serveWorker = <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  layer: Layer.Layer<R, ER>,
): void => {
  if (parentPort === null) {
    throw new Error(
      "serveWorker must be called inside a worker_threads Worker (parentPort is null)",
    )
  }
  Transport.serve(pipeline, layer, nodeEndpoint(parentPort))
}

export interface ConnectOptions extends Omit<Transport.ConnectOptions, "terminate" | "watch"> {
  readonly worker?: WorkerOptions | undefined
}

/** Starts the worker file (or adopts a Worker) and returns a Runner for its pipeline. */
export const connectWorker = <P extends Pipeline.Any>(
  worker: string | URL | Worker,
  options: ConnectOptions = {},
): Runner.Runner<Pipeline.Input<P>, Pipeline.Output<P>> => {
  const thread = worker instanceof Worker ? worker : new Worker(worker, options.worker)
  return Transport.connect<P>(nodeEndpoint(thread), {
    ...options,
    terminate: async () => {
      await thread.terminate()
    },
    watch: (fail) => {
      thread.on("error", (error) => fail(`the worker failed: ${error.message}`))
      thread.on("exit", (code) => fail(`the worker exited with code ${code}`))
    },
  })
}
