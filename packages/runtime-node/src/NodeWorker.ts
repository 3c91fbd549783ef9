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
 *
 * The Worker's `terminate()` becomes cooperative (see `WorkerTermination.ts`):
 * it may be called while a model runs without aborting the process.
 */
import { parentPort, Worker, type WorkerOptions } from "node:worker_threads"
import { type Pipeline, type Runner, Transport } from "@edgeline/core"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import type { Layer } from "effect"
import { DEFAULT_TERMINATE_TIMEOUT_MS, makeCooperative } from "./WorkerTermination.js"

/** Serves `pipeline` from inside a worker thread (`options.tapDrainMs`: see `Transport.serve`). */
export const serveWorker = <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  layer: Layer.Layer<R, ER>,
  options?: Transport.ServeOptions,
): void => {
  if (parentPort === null) {
    throw new Error(
      "serveWorker must be called inside a worker_threads Worker (parentPort is null)",
    )
  }
  Transport.serve(pipeline, layer, nodeEndpoint(parentPort), options)
}

export interface ConnectOptions extends Omit<Transport.ConnectOptions, "terminate" | "watch"> {
  readonly worker?: WorkerOptions | undefined
  /**
   * How long `worker.terminate()` and `runner.close()` wait for the worker to
   * stop its runs before ending it anyway (default 5000 ms). A worker that
   * takes longer is stuck in JavaScript, where ending it is safe; raise it if
   * one model load or one run of yours can take longer than this.
   */
  readonly terminateTimeoutMs?: number | undefined
}

/**
 * Starts the worker file (or adopts a Worker) and returns a Runner for its
 * pipeline. The Worker's `terminate()` is replaced by a cooperative one: the
 * runner's pending calls reject at once with `WorkerError`, the worker stops
 * its runs, then it is terminated (resolving with the exit code, as Node's does).
 */
export const connectWorker = <P extends Pipeline.Any>(
  worker: string | URL | Worker,
  options: ConnectOptions = {},
): Runner.Runner<Pipeline.Input<P>, Pipeline.Output<P>> => {
  const {
    worker: workerOptions,
    terminateTimeoutMs = DEFAULT_TERMINATE_TIMEOUT_MS,
    ...transportOptions
  } = options
  const thread = worker instanceof Worker ? worker : new Worker(worker, workerOptions)
  // Replaced by the transport's own as soon as it calls `watch`, inside connect.
  let stop: Transport.WorkerWatch["stop"] = async () => {}
  const termination = makeCooperative(thread, terminateTimeoutMs, () =>
    stop("the worker was terminated (worker.terminate())"),
  )
  const runner = Transport.connect<P>(nodeEndpoint(thread), {
    ...transportOptions,
    // The Worker's own terminate: close() has stopped the pipeline already.
    terminate: async () => {
      await termination.now()
    },
    watch: (watched) => {
      stop = watched.stop
      thread.on("error", (error) => watched.fail(`the worker failed: ${error.message}`))
      thread.on("exit", (code) => watched.fail(`the worker exited with code ${code}`))
    },
  })
  return { ...runner, close: () => termination.within(runner.close()) }
}
