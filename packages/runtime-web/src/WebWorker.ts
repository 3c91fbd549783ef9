/**
 * Running a pipeline in a Web Worker, with core's transport over comlink
 * (the same code as the Node worker_threads offload).
 *
 * ```ts
 * // gate.worker.ts
 * serveWorker(VoiceGate.file, WebRuntime.layer({ wasmPaths, models }))
 * // triage.worker.ts: a recipe built by an Effect is served as it is
 * serveWorker(MessageTriage.make(), Layer.mergeAll(WebRuntime.layer(…), OpenAiCloudModel.layer(…)))
 * // page
 * const runner = connectWorker<typeof VoiceGate.file>(
 *   new Worker(new URL("./gate.worker.ts", import.meta.url), { type: "module" }),
 * )
 * ```
 */
import { type Pipeline, type Runner, Transport } from "@edgeline/core"
import { Cause, Effect, Exit, type Layer } from "effect"
import { messageOf } from "./internal/messageOf.js"

/**
 * Whether this worker is one of onnxruntime-web's wasm threads. On a
 * cross-origin isolated page onnxruntime-web starts its threads from the
 * script that loaded it, and in a bundled worker (a Vite build) that is the
 * worker's own script: its top-level code runs again in every thread, named
 * `em-pthread…`. Code there that reads the worker's name as its
 * configuration, or serves a pipeline, must not run:
 *
 * ```ts
 * if (!isOnnxRuntimeThread()) serveWorker(pipeline(JSON.parse(self.name)), layer)
 * ```
 */
export const isOnnxRuntimeThread = (): boolean => {
  const name = (globalThis as { name?: unknown }).name
  return typeof name === "string" && name.startsWith("em-pthread")
}

/**
 * Serves `pipeline` from inside a Web Worker (`options.tapDrainMs`: see
 * `Transport.serve`). The pipeline may be an Effect that builds it, as
 * recipes that start something asynchronous are (`MessageTriage.make()`):
 * calls that arrive while it builds are held and answered once it is built.
 * (A module worker that awaited the build before serving would lose them:
 * the browser delivers a worker's messages while its top-level await is
 * pending, to whoever listens.) A build that fails is reported as the
 * worker's error, so the page's runner rejects its calls with `WorkerError`.
 */
export const serveWorker = <In, Out, E, R, ER, EB = never>(
  pipeline: Pipeline.Pipeline<In, Out, E, R> | Effect.Effect<Pipeline.Pipeline<In, Out, E, R>, EB>,
  layer: Layer.Layer<R, ER>,
  options?: Transport.ServeOptions,
): void => {
  if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "undefined") {
    throw new Error("serveWorker must be called inside a Web Worker")
  }
  // One of onnxruntime-web's threads running this script again: ORT's messages, not ours.
  if (isOnnxRuntimeThread()) return
  const scope = globalThis as unknown as Transport.Endpoint
  if (!Effect.isEffect(pipeline)) {
    Transport.serve(pipeline, layer, scope, options)
    return
  }
  const held: Array<Event> = []
  const hold = (event: Event) => {
    held.push(event)
  }
  scope.addEventListener("message", hold)
  void Effect.runPromiseExit(pipeline).then((exit) => {
    if (Exit.isFailure(exit)) {
      scope.removeEventListener("message", hold)
      reportError(
        new Error(`serveWorker: the pipeline could not be built: ${described(exit.cause)}`),
      )
      return
    }
    // The transport's listener, to hand it what arrived during the build.
    const listeners: Array<EventListenerOrEventListenerObject> = []
    Transport.serve(exit.value, layer, {
      postMessage: (message, transfer) => scope.postMessage(message, transfer),
      addEventListener: (type, listener, listenerOptions) => {
        if (type === "message") listeners.push(listener)
        scope.addEventListener(type, listener, listenerOptions)
      },
      removeEventListener: (type, listener, listenerOptions) =>
        scope.removeEventListener(type, listener, listenerOptions),
    })
    // Synchronous from here: nothing can arrive between the two listeners.
    scope.removeEventListener("message", hold)
    for (const event of held.splice(0)) {
      for (const listener of listeners) {
        if (typeof listener === "function") listener(event)
        else listener.handleEvent(event)
      }
    }
  })
}

/** A failed build's error: its tag (a typed failure's) and message. */
const described = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  const tag = (error as { _tag?: unknown })?._tag
  return typeof tag === "string" ? `${tag}: ${messageOf(error)}` : messageOf(error)
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
