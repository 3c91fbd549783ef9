/**
 * Running a pipeline in a worker: `serve` inside it, `connect` outside, over
 * comlink. The same code serves browser Workers and Node `worker_threads`
 * (runtimes pass comlink endpoints). ArrayBuffers are transferred; progress
 * and cancellation cross the boundary; a typed error arrives with its `_tag`
 * (and as its own class when that class is registered).
 */
import * as Comlink from "comlink"
import { Effect, Exit, type Fiber, type Layer } from "effect"
import { CancelledError, coreErrors, messageOf, WorkerError } from "./Errors.js"
import * as Executor from "./Executor.js"
import * as Pipeline from "./Pipeline.js"
import type * as Progress from "./Progress.js"
import {
  type CallOptions,
  type Runner,
  type StreamSession,
  streamWith,
  toError,
  withSignal,
} from "./Runner.js"
import { buffersOf } from "./Transfer.js"

export type Endpoint = Comlink.Endpoint

interface SerializedError {
  readonly _tag: string
  readonly message: string
  readonly fields: Record<string, unknown>
}

type Wire =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError }

/** What a served worker exposes; internal to the transport. */
export interface WorkerApi {
  load(call: number, onProgress?: Progress.Listener): Promise<Wire>
  run(call: number, input: unknown, onProgress?: Progress.Listener): Promise<Wire>
  open(session: number): void
  push(call: number, session: number, input: unknown, onProgress?: Progress.Listener): Promise<Wire>
  end(call: number, session: number): Promise<Wire>
  cancel(call: number): void
  timings(): Promise<Array<Pipeline.StageTiming>>
  close(): Promise<void>
}

const serialize = (error: Error): SerializedError => {
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(error)) {
    if (typeof value !== "function" && key !== "stack") fields[key] = value
  }
  const tag = (error as { _tag?: unknown })._tag
  return { _tag: typeof tag === "string" ? tag : error.name, message: error.message, fields }
}

/** Exposes `pipeline` on `endpoint`; the worker's services come from `layer`. */
export const serve = <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  layer: Layer.Layer<R, ER>,
  endpoint: Endpoint,
): void => {
  // The worker's own stage timings, like a runner's.
  const executor = Executor.make(layer)
  const fibers = new Map<number, Fiber.Fiber<unknown, unknown>>()
  const sessions = new Map<number, Pipeline.Session<In, Out, E, R>>()

  const exec = (
    call: number,
    effect: Effect.Effect<unknown, unknown, R>,
    onProgress?: Progress.Listener,
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
      const fiber = executor.fork(effect, listener)
      fibers.set(call, fiber)
      fiber.addObserver((exit) => {
        fibers.delete(call)
        const settle = () => {
          if (onProgress) (onProgress as unknown as Comlink.ProxyMethods)[Comlink.releaseProxy]?.()
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
    load: (call, onProgress) => exec(call, Pipeline.load(pipeline), onProgress),
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
    cancel: (call) => fibers.get(call)?.interruptUnsafe(),
    timings: () => executor.runPromise(Pipeline.timings(pipeline)),
    // Waits for interrupted calls to stop before the worker's models are released.
    close: () => executor.close(),
  }
  Comlink.expose(api, endpoint)
}

/** An error class the client can rebuild by tag (any `Data.TaggedError` class). */
export type ErrorClass = new (fields: any) => Error & { readonly _tag: string }

export interface ConnectOptions {
  /** Extra error classes to rebuild as themselves (core's are known already). */
  readonly errors?: ReadonlyArray<ErrorClass> | undefined
  /** Move input buffers to the worker instead of copying them (default true). */
  readonly transferInput?: boolean | undefined
  /** Releases the worker itself once the pipeline has shut down. */
  readonly terminate?: (() => void | Promise<void>) | undefined
  /** Lets the runtime report a dead worker: every pending call then rejects with `WorkerError`. */
  readonly watch?: ((fail: (message: string) => void) => void) | undefined
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
  const pending = new Set<(error: Error) => void>()
  let dead: Error | undefined
  let closed = false
  let nextId = 0

  let terminated = false
  options.watch?.((message) => {
    // The worker ending because close() terminated it is no failure.
    if (terminated) return
    dead = new WorkerError({ message })
    for (const fail of pending) fail(dead)
    pending.clear()
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

  /** `request`'s answer, or WorkerError if the worker is or goes dead first (it would never answer). */
  const guard = async <A>(request: () => Promise<A>): Promise<A> => {
    if (dead) throw dead
    if (closed) throw new CancelledError({ message: "the runner is closed" })
    return untilDead(request)
  }

  /** `request`'s answer, or WorkerError if the worker dies first. */
  const untilDead = async <A>(request: () => Promise<A>): Promise<A> => {
    let fail: (error: Error) => void = () => {}
    const died = new Promise<never>((_, reject) => {
      fail = reject
      pending.add(fail)
    })
    try {
      return await Promise.race([request(), died])
    } finally {
      pending.delete(fail)
    }
  }

  const call = async <A>(
    send: (id: number, onProgress?: Progress.Listener) => Promise<Wire>,
    opts: CallOptions = {},
  ) => {
    const id = nextId++
    return withSignal(
      opts.signal,
      () => void remote.cancel(id),
      async () => {
        const progress = opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined
        const wire = await guard(() => send(id, progress).catch(uncloneable))
        if (!wire.ok) throw rebuild(wire.error)
        return wire.value as A
      },
    )
  }

  // Comlink.transfer keys a WeakMap by the value: only objects can carry transfers.
  const outbound = (input: unknown) =>
    options.transferInput === false || typeof input !== "object" || input === null
      ? input
      : Comlink.transfer(input, buffersOf(input))

  const open = async (): Promise<StreamSession<In, Out>> => {
    const session = nextId++
    await guard(() => remote.open(session))
    return {
      push: (input, opts) => call((id, p) => remote.push(id, session, outbound(input), p), opts),
      end: (opts) => call<Array<Out>>((id) => remote.end(id, session), opts),
    }
  }

  return {
    load: (opts) => call<void>((id, p) => remote.load(id, p), opts),
    run: (input, opts) => call<Out>((id, p) => remote.run(id, outbound(input), p), opts),
    open,
    stream: streamWith(open),
    timings: () => guard(() => remote.timings()),
    close: async () => {
      if (closed) return
      closed = true
      // A worker that dies while closing has nothing left to close.
      if (!dead) await untilDead(() => remote.close()).catch(() => undefined)
      remote[Comlink.releaseProxy]()
      terminated = true
      await options.terminate?.()
    },
  }
}
