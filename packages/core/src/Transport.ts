/**
 * Running a pipeline in a worker: `serve` inside it, `connect` outside, over
 * comlink. The same code serves browser Workers and Node `worker_threads`
 * (runtimes pass comlink endpoints). ArrayBuffers are transferred (a call
 * may keep its own with `transfer: false`); progress and cancellation cross
 * the boundary; a typed error arrives with its `_tag` (and as its own class
 * when that class is registered); observers get the worker's snapshots,
 * pushed through a comlink proxy. A runtime reports a dead worker, or one
 * it is about to end, through `ConnectOptions.watch`.
 */
import * as Comlink from "comlink"
import { Effect, Exit, type Fiber, type Layer } from "effect"
import { CancelledError, messageOf, WorkerError } from "./Errors.js"
import { streamWith, toError, withSignal } from "./internal/calls.js"
import { coreErrors } from "./internal/errorClasses.js"
import * as Executor from "./internal/executor.js"
import { safely } from "./internal/observers.js"
import { buffersOf, scan } from "./internal/transfer.js"
import type { SerializedError, Wire, WorkerApi } from "./internal/workerApi.js"
import * as Pipeline from "./Pipeline.js"
import type * as Progress from "./Progress.js"
import type { CallOptions, Observation, Observer, Runner, StreamSession } from "./Runner.js"

export type Endpoint = Comlink.Endpoint

const serialize = (error: Error): SerializedError => {
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(error)) {
    if (typeof value !== "function" && key !== "stack") fields[key] = value
  }
  const tag = (error as { _tag?: unknown })._tag
  return { _tag: typeof tag === "string" ? tag : error.name, message: error.message, fields }
}

export interface ServeOptions {
  /**
   * How long the served end's close waits for tap recordings still running
   * (default 2000 ms); after that they are interrupted, and a warning names
   * how many. The caller's close waits for this too: keep it under a
   * runtime's own limit on shutting a worker down (runtime-node's
   * `terminateTimeoutMs`, 5000 ms by default), or the worker is ended while
   * its recordings drain.
   */
  readonly tapDrainMs?: number | undefined
}

/** Releases a comlink proxy the other side sent (a progress listener, an observer). */
const release = (proxy: unknown) =>
  (proxy as Partial<Comlink.ProxyMethods>)[Comlink.releaseProxy]?.()

/** Exposes `pipeline` on `endpoint`; the worker's services come from `layer`. */
export const serve = <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  layer: Layer.Layer<R, ER>,
  endpoint: Endpoint,
  options: ServeOptions = {},
): void => {
  // The worker's own stage timings and tap recordings, like a runner's.
  const executor = Executor.make(layer, pipeline, { tapDrainMs: options.tapDrainMs })
  const fibers = new Map<number, Fiber.Fiber<unknown, unknown>>()
  const sessions = new Map<number, Pipeline.Session<In, Out, E, R>>()
  /** The caller's observers: how to stop each, and its proxy to release. */
  const observers = new Map<number, { readonly stop: () => void; readonly proxy: Observer }>()
  let nextObserver = 0
  let shut = false

  const exec = (
    call: number,
    effect: Effect.Effect<unknown, unknown, R>,
    onProgress?: Progress.Listener,
    kind: Executor.CallKind = "run",
  ) =>
    new Promise<Wire>((resolve) => {
      // Progress travels on a port of its own, so the result could overtake it.
      // The caller handles progress calls in order: once the last one has been
      // answered, every event has been delivered, and the result may follow.
      let delivered: PromiseLike<unknown> = Promise.resolve()
      const listener =
        onProgress &&
        ((event: Progress.Event) => {
          // A listener that throws on the caller's side must not take the worker down.
          delivered = (onProgress(event) as unknown as Promise<unknown>).catch(() => undefined)
        })
      const fiber = executor.fork(effect, listener, kind)
      fibers.set(call, fiber)
      fiber.addObserver((exit) => {
        fibers.delete(call)
        const settle = () => {
          if (onProgress) release(onProgress)
          if (Exit.isSuccess(exit)) {
            resolve(Comlink.transfer({ ok: true, value: exit.value }, buffersOf(exit.value)))
          } else {
            resolve({ ok: false, error: serialize(toError(exit.cause)) })
          }
        }
        Promise.resolve(delivered).then(settle, settle)
      })
    })

  // A typed failure, not a throw: a throw inside an Effect is a defect and
  // would reach the caller as UnexpectedError instead of WorkerError.
  const sessionFor = (id: number) =>
    Effect.suspend(() => {
      const session = sessions.get(id)
      return session === undefined
        ? Effect.fail(new WorkerError({ message: `no open stream ${id} in the worker` }))
        : Effect.succeed(session)
    })

  const api: WorkerApi = {
    load: (call, onProgress) => exec(call, Pipeline.load(pipeline), onProgress, "load"),
    run: (call, input, onProgress) => exec(call, Pipeline.run(pipeline, input as In), onProgress),
    open: (id) => {
      sessions.set(id, Pipeline.open(pipeline))
    },
    push: (call, id, input, onProgress) =>
      exec(
        call,
        Effect.flatMap(sessionFor(id), (session) => session.push(input as In)),
        onProgress,
      ),
    end: (call, id) =>
      exec(
        call,
        Effect.flatMap(sessionFor(id), (session) => session.end()).pipe(
          Effect.ensuring(Effect.sync(() => sessions.delete(id))),
        ),
      ),
    closeStream: async (id) => {
      const session = sessions.get(id)
      sessions.delete(id)
      if (session !== undefined) await executor.runPromise(session.close())
    },
    cancel: (call) => fibers.get(call)?.interruptUnsafe(),
    timings: () => executor.runPromise(Pipeline.timings(pipeline)),
    observe: (observer, intervalMs) => {
      const id = nextObserver++
      if (shut) {
        release(observer)
        return id
      }
      // Settles once the caller has handled the snapshot; a caller gone is not the worker's failure.
      const deliver = (observation: Observation) => {
        try {
          return (observer(observation) as unknown as Promise<unknown>).catch(() => undefined)
        } catch {
          return undefined
        }
      }
      observers.set(id, { stop: executor.observe(deliver, { intervalMs }), proxy: observer })
      return id
    },
    unobserve: (id) => {
      const observer = observers.get(id)
      if (observer === undefined) return
      observers.delete(id)
      observer.stop()
      release(observer.proxy)
    },
    // Waits for interrupted calls to stop and for tap recordings (bounded)
    // before the worker's models are released, and for the caller to have
    // heard the observers' "closed" snapshot before answering.
    close: async () => {
      await executor.close()
      shut = true
      for (const observer of observers.values()) release(observer.proxy)
      observers.clear()
    },
  }
  Comlink.expose(api, endpoint)
}

/** An error class the client can rebuild by tag (any `Data.TaggedError` class). */
export type ErrorClass = new (fields: any) => Error & { readonly _tag: string }

/** What a runtime reports about its worker, through `ConnectOptions.watch`. */
export interface WorkerWatch {
  /** The worker died: every pending and later call rejects with `WorkerError(message)`. */
  readonly fail: (message: string) => void
  /**
   * The worker is about to be ended from outside the runner (Node's
   * `worker.terminate()`). Pending calls reject at once with `WorkerError`
   * ("`reason` with N calls pending"), later calls too; then the served
   * pipeline shuts down as in `close()`: its fibers are interrupted and the
   * model runs in flight finish. Resolves once the worker has done so, or
   * has died; never rejects. Ending the worker is left to the runtime.
   */
  readonly stop: (reason: string) => Promise<void>
}

export interface ConnectOptions {
  /** Extra error classes to rebuild as themselves (core's are known already). */
  readonly errors?: ReadonlyArray<ErrorClass> | undefined
  /**
   * Move input buffers to the worker instead of copying them (default true).
   * A call's own `transfer` option overrides it.
   */
  readonly transferInput?: boolean | undefined
  /** Ends the worker itself, once `close()` has shut the pipeline down. */
  readonly terminate?: (() => void | Promise<void>) | undefined
  /** Hands the runtime the `WorkerWatch` with which it reports a dead worker or one it is about to end. */
  readonly watch?: ((worker: WorkerWatch) => void) | undefined
}

/** A `Runner` for a pipeline served in a worker; the same interface as `createRunner`'s. */
export const connect = <P extends Pipeline.Any>(
  endpoint: Endpoint,
  options: ConnectOptions = {},
): Runner<Pipeline.Input<P>, Pipeline.Output<P>> => {
  type In = Pipeline.Input<P>
  type Out = Pipeline.Output<P>
  const remote = Comlink.wrap<WorkerApi>(endpoint)
  const classes: ReadonlyArray<ErrorClass> = [...coreErrors, ...(options.errors ?? [])]
  /** Rejects a call still waiting for the worker's answer. */
  const waiting = new Set<(error: Error) => void>()
  /** Why new calls are refused: the runner was closed, the worker stopped or died. */
  let refusal: Error | undefined
  let exited = false
  let markExited: () => void = () => {}
  /** Settles when the worker has died: nothing sent to it will be answered. */
  const exit = new Promise<void>((resolve) => {
    markExited = resolve
  })
  let shutdown: Promise<void> | undefined
  let closing: Promise<void> | undefined
  let nextId = 0
  /** Observers still hearing from the worker, with the last snapshot each got. */
  const watchers = new Set<{ readonly observer: Observer; last: Observation | undefined }>()
  /** The last snapshot observers get once the runner is closed, stopped or dead. */
  let final: Observation | undefined
  /** `remote` is released (by close): a call on it would throw. */
  let released = false

  /** Stops an observer's snapshots in the worker; nothing to stop once the runner is closed. */
  const unobserve = (id: number) => {
    if (!released && !exited) remote.unobserve(id).catch(() => undefined)
  }

  /**
   * Ends every observer the worker did not end itself (it died, or could not
   * answer), with its last snapshot marked closed.
   */
  const endWatchers = () => {
    for (const watcher of watchers) {
      final ??= {
        status: "closed",
        calls: 0,
        stages: watcher.last?.stages ?? [],
        models: watcher.last?.models ?? [],
      }
      safely(watcher.observer, final)
    }
    watchers.clear()
    final ??= { status: "closed", calls: 0, stages: [], models: [] }
  }

  const rejectWaiting = (error: Error) => {
    for (const reject of waiting) reject(error)
    waiting.clear()
  }

  /**
   * Asks the served pipeline, once, to shut down, and waits until it has (or
   * the worker died): `close()` and `stop` share it, so a worker is never
   * ended while its runs may still be inside native code.
   */
  const shutDown = () => {
    shutdown ??= exited
      ? Promise.resolve()
      : Promise.race([remote.close().catch(() => undefined), exit])
    return shutdown
  }

  options.watch?.({
    fail: (message) => {
      if (exited) return
      exited = true
      markExited()
      const error = new WorkerError({ message })
      refusal ??= error
      rejectWaiting(error)
      endWatchers()
    },
    stop: (reason) => {
      refusal ??= new WorkerError({ message: `${reason}; this runner takes no more calls` })
      const count = waiting.size
      if (count > 0) {
        const calls = count === 1 ? "1 call" : `${count} calls`
        rejectWaiting(new WorkerError({ message: `${reason} with ${calls} pending` }))
      }
      return shutDown().then(endWatchers)
    },
  })

  /** The error as its own class when one registered class builds it with this tag, else a tagged Error. */
  const rebuild = (error: SerializedError): Error => {
    for (const cls of classes) {
      try {
        const rebuilt = new cls({ ...error.fields, message: error.message })
        if (rebuilt._tag === error._tag) return rebuilt
      } catch {
        // A class whose constructor rejects these fields is not this error's class.
      }
    }
    return Object.assign(new Error(error.message), {
      ...error.fields,
      _tag: error._tag,
      name: error._tag,
    })
  }

  /** Comlink's own failures (a value that cannot be structured-cloned) as WorkerError. */
  const uncloneable = (e: unknown): never => {
    throw new WorkerError({
      message: `a value could not cross to or from the worker (${messageOf(e)}); inputs and outputs must be structured-cloneable: typed arrays, plain objects, arrays, strings, numbers`,
    })
  }

  /**
   * `request`'s answer (or what it throws); refused at once when the runner
   * is closed, stopped or dead, and rejected when that happens before the
   * answer comes (it might never come).
   */
  const guard = async <A>(request: () => Promise<A>): Promise<A> => {
    if (refusal) throw refusal
    let reject: (error: Error) => void = () => {}
    const abandoned = new Promise<never>((_, fail) => {
      reject = fail
      waiting.add(fail)
    })
    try {
      return await Promise.race([request(), abandoned])
    } finally {
      waiting.delete(reject)
    }
  }

  const call = async <A>(
    opts: CallOptions,
    send: (id: number, onProgress?: Progress.Listener) => Promise<Wire>,
  ) => {
    const id = nextId++
    return withSignal(
      opts.signal,
      () => void remote.cancel(id),
      async () => {
        // A stopped call is rejected before the worker stops sending its
        // progress: events that late would only confuse a progress bar.
        let settled = false
        const listener = opts.onProgress
        const progress =
          listener &&
          Comlink.proxy((event: Progress.Event) => {
            if (!settled) listener(event)
          })
        try {
          const wire = await guard(() => send(id, progress).catch(uncloneable))
          if (!wire.ok) throw rebuild(wire.error)
          return wire.value as A
        } finally {
          settled = true
        }
      },
    )
  }

  /**
   * The input as it goes to the worker: its whole-view buffers moved unless
   * the call or the connection keeps them. Throws WorkerError when a buffer
   * in it was already moved by an earlier call: structured cloning would
   * fail with a bare "detached".
   */
  const outbound = (input: unknown, opts: CallOptions) => {
    const { buffers, detached } = scan(input)
    if (detached !== undefined) {
      throw new WorkerError({
        message: `${detached} is empty: its ArrayBuffer was transferred to the worker by an earlier call, which moves a buffer instead of copying it. To use a buffer again, pass a copy (e.g. \`data.slice()\`) or keep it: \`{ transfer: false }\` on the call, or \`transferInput: false\` when connecting`,
      })
    }
    const transfer = opts.transfer ?? options.transferInput ?? true
    // Comlink.transfer keys a WeakMap by the value: only objects can carry transfers.
    return !transfer || typeof input !== "object" || input === null
      ? input
      : Comlink.transfer(input, buffers)
  }

  const open = async (): Promise<StreamSession<In, Out>> => {
    const session = nextId++
    await guard(() => remote.open(session))
    return {
      push: (input, opts = {}) =>
        call(opts, (id, p) => remote.push(id, session, outbound(input, opts), p)),
      end: (opts = {}) => call<Array<Out>>(opts, (id) => remote.end(id, session)),
      close: () => guard(() => remote.closeStream(session)).catch(() => undefined),
    }
  }

  return {
    load: (opts = {}) => call<void>(opts, (id, p) => remote.load(id, p)),
    run: (input, opts = {}) => call<Out>(opts, (id, p) => remote.run(id, outbound(input, opts), p)),
    open,
    stream: streamWith(open),
    timings: () => guard(() => remote.timings()),
    observe: (observer, observeOptions = {}) => {
      if (refusal) {
        safely(observer, final ?? { status: "closed", calls: 0, stages: [], models: [] })
        return () => {}
      }
      const watcher = { observer, last: undefined as Observation | undefined }
      watchers.add(watcher)
      let id: number | undefined
      const receive = (observation: Observation) => {
        if (!watchers.has(watcher)) return
        watcher.last = observation
        if (observation.status === "closed") {
          watchers.delete(watcher)
          final = observation
        }
        safely(observer, observation)
      }
      guard(() => remote.observe(Comlink.proxy(receive), observeOptions.intervalMs)).then(
        (answer) => {
          id = answer
          if (!watchers.has(watcher)) unobserve(answer)
        },
        // Closed or dead before the worker answered: endWatchers ends this one.
        () => undefined,
      )
      return () => {
        if (!watchers.delete(watcher)) return
        if (id !== undefined) unobserve(id)
      }
    },
    close: () => {
      closing ??= (async () => {
        refusal ??= new CancelledError({ message: "the runner is closed" })
        await shutDown()
        // The served end sent its observers "closed" before answering; these it could not reach.
        endWatchers()
        // Answers the served end had not sent by the time it shut down will never come.
        rejectWaiting(new CancelledError({ message: "the runner was closed" }))
        released = true
        remote[Comlink.releaseProxy]()
        await options.terminate?.()
      })()
      return closing
    },
  }
}
