/**
 * Many live streams of a Silero pipeline in one process (a server for many
 * microphones), their frames scored together: what every stream pushed in
 * one turn of the event loop runs as one batch. The stages before the
 * Silero stage run push by push, the frames of all pushes are scored in
 * shared model calls (`SileroBatch`, up to `maxBatch` streams per call), and
 * the stages after it run push by push again; then each push resolves.
 *
 * Why not a pipeline session per stream with a batched model stage: each
 * push then pays a fiber, a semaphore and a span per stage of its own, which
 * at 64 streams cost more than the batched model call itself (measured at
 * 2.3× over one call per frame, against 2.8× this way on a quiet machine). Here a turn
 * costs one fiber resumption and one span per stage, whatever the number of
 * streams; a stage's timing counts one run per batch.
 *
 * Collecting takes no timer: a push wakes the gateway's fiber, which takes
 * whatever was pushed before it runs. A stream whose push has no complete
 * frame yet adds no row. Pushes of one stream run in order; several queued in
 * one turn score their frames one after the other in the same calls.
 *
 * The gateway holds the model version it loaded until it closes (its
 * streams' states belong to that version); a newer one serves the next
 * gateway.
 */

import {
  CancelledError,
  type Infer,
  type InputValidationError,
  Model,
  type ModelLoadError,
  type ModelNotFoundError,
  type ModelRef,
  Pipeline,
  type Runner,
  type Stage,
  StreamEndedError,
} from "@edgeline/core"
import { Cause, Effect, Exit, Latch, Layer, ManagedRuntime, Metric, Scope } from "effect"
import type { Frames } from "../audio/Frames.js"
import { scoringFailed } from "../internal/scoringFailed.js"
import * as SileroBatch from "./SileroBatch.js"
import { type Scored, STAGE, model as sileroModel, warmup } from "./SileroVad.js"

export interface Options {
  /** Another Silero v5 file (e.g. from a fleet registry); the same as the pipeline's. */
  readonly model?: ModelRef.ModelRef | undefined
  /** Most streams scored in one model call (default 64). */
  readonly maxBatch?: number | undefined
}

/** What a push can fail with besides the pipeline's own errors. */
export type PushError = InputValidationError | StreamEndedError | CancelledError

/** A gateway, for Effect users: open a stream per microphone. */
export interface Gateway<In, Out, E> {
  /** A new stream: `push` chunks, then `end` (flushes) or `close`. */
  readonly open: Effect.Effect<Pipeline.Session<In, Out, E | CancelledError, never>>
  /** Per-stage wall time so far; a stage counts one run per batch (and per flush). */
  readonly timings: Effect.Effect<Array<Pipeline.StageTiming>>
  /** Streams open now. */
  readonly streams: () => number
}

/** The gateway with the plain-callback streams the Promise API wraps. */
interface Internal<In, Out, E> extends Gateway<In, Out, E> {
  readonly openHandle: () => Handle
}

type Instance = Stage.Instance<any, any, any, any>
type Done = (exit: Exit.Exit<any, any>) => void

interface Stream {
  /** The pipeline's stages opened for this stream (none for the Silero stage: its state is `model`). */
  readonly instances: ReadonlyArray<Instance | undefined>
  readonly model: SileroBatch.StreamState
  /** `end` or `close` was called: no more pushes. */
  ended: boolean
  closed: boolean
  /** Its row in the batch being gathered (-1 when it has none): no map per batch. */
  row: number
}

/**
 * A queued call. A push on its way through a batch carries its value after
 * the last stage it went through, or its failure: one object per push, no
 * wrapper per stage.
 */
interface Item {
  readonly kind: "push" | "end" | "close"
  readonly stream: Stream
  readonly done: Done
  /** `done` was called: a call settles once (the gateway's end may race a batch). */
  settled: boolean
  value: any
  failure: Exit.Failure<any, any> | undefined
}

const item = (kind: Item["kind"], stream: Stream, done: Done, input?: unknown): Item => ({
  kind,
  stream,
  done,
  settled: false,
  value: input,
  failure: undefined,
})

/** What a push that was never queued gives to cancel: nothing to do. */
const noCancel = () => {}

const settle = (item: Item, exit: Exit.Exit<any, any>) => {
  if (item.settled) return
  item.settled = true
  item.done(exit)
}

/** Scored frames as the Silero stage returns them: a literal, not a spread, per push. */
const scored = (frames: Frames, probabilities: Float32Array): Scored => ({
  first: frames.first,
  samples: frames.samples,
  count: frames.count,
  size: frames.size,
  valid: frames.valid,
  probabilities,
})

/**
 * The gateway for `pipeline`, whose stages before its Silero stage turn
 * input into `Frames` and whose stages after it take `Scored` frames (the
 * live voice gate's). Loads the model now; the scope's end fails what is
 * still queued with `CancelledError` and frees the model.
 */
export const make = <In, Out, E, R>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  options: Options = {},
): Effect.Effect<
  Gateway<In, Out, E>,
  ModelLoadError | ModelNotFoundError,
  Scope.Scope | Infer.InferServices | R
> => makeInternal(pipeline, options)

const makeInternal = <In, Out, E, R>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  options: Options,
): Effect.Effect<
  Internal<In, Out, E>,
  ModelLoadError | ModelNotFoundError,
  Scope.Scope | Infer.InferServices | R
> =>
  Effect.gen(function* () {
    const at = pipeline.stages.findIndex((stage) => stage.name === STAGE)
    if (at < 0) {
      return yield* Effect.die(
        new TypeError(`pipeline "${pipeline.name}" has no "${STAGE}" stage for a gateway to batch`),
      )
    }
    const maxBatch = options.maxBatch ?? SileroBatch.DEFAULT_MAX_BATCH
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      return yield* Effect.die(
        new RangeError(`maxBatch must be a whole number of at least 1, not ${maxBatch}`),
      )
    }
    const { stages, metrics } = pipeline
    const queue: Array<Item> = []
    /** The batch being drained; its settled items are skipped at the gateway's end. */
    let inFlight: ReadonlyArray<Item> = []
    const wake = Latch.makeUnsafe(false)
    /** Streams opened and not yet closed: what the gateway's end closes. */
    const streams = new Set<Stream>()
    let closed = false

    const cancelled = () => new CancelledError({ message: "the gateway is closed" })
    // Added first, so it runs last: after the fiber below has stopped.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        for (const item of [...inFlight, ...queue.splice(0)]) settle(item, Exit.fail(cancelled()))
        inFlight = []
        for (const stream of streams) closeStream(stream)
      }),
    )
    const session = yield* Model.session(options.model ?? sileroModel, {
      warmup,
    })

    const closeStream = (stream: Stream) => {
      if (stream.closed) return
      stream.closed = true
      streams.delete(stream)
      for (const instance of stream.instances) instance?.close?.()
    }

    /** Scores frames of the given streams in shared calls; the Silero stage's timed run. */
    const score = (rows: ReadonlyArray<SileroBatch.Row>) =>
      metrics[at]!.traced(
        Effect.tryPromise({
          try: () => SileroBatch.score(session, rows, maxBatch),
          catch: (e) => scoringFailed(session, "scoring a batch of frames", e),
        }),
      )

    /** Runs one value of one stream through stages `from..` (a flushed value at the end of a stream). */
    const runFrom = (stream: Stream, from: number, input: unknown) =>
      Effect.gen(function* () {
        let value: any = input
        for (let i = from; i < stages.length; i++) {
          if (i === at) {
            const frames = value as Frames
            const [probabilities] = yield* score([{ stream: stream.model, pieces: [frames] }])
            value = scored(frames, probabilities![0]!)
          } else {
            value = yield* metrics[i]!.traced(stream.instances[i]!.step(value))
          }
        }
        return value as Out
      })

    /** A stream's end: each stage flushed in order, each flushed value through the stages after it. */
    const end = (stream: Stream) =>
      Effect.gen(function* () {
        const outputs: Array<Out> = []
        for (let i = 0; i < stages.length; i++) {
          const flush = stream.instances[i]?.flush
          if (flush === undefined) continue
          const held = yield* metrics[i]!.traced(flush())
          outputs.push(yield* runFrom(stream, i + 1, held))
        }
        return outputs
      }).pipe(Effect.ensuring(Effect.sync(() => closeStream(stream))))

    /** Stage `i` for every push still going, in order: one timed run for the batch. */
    const stageFor = (i: number, works: ReadonlyArray<Item>) =>
      metrics[i]!.traced(
        Effect.gen(function* () {
          for (const work of works) {
            if (work.failure !== undefined) continue
            const exit = yield* Effect.exit(work.stream.instances[i]!.step(work.value))
            if (Exit.isSuccess(exit)) work.value = exit.value
            else work.failure = exit
          }
        }),
      )

    /** Validates every push's input (held in `value`); a valid one is an `Exit` already, read without a fiber step. */
    const validate = (works: ReadonlyArray<Item>) =>
      Effect.gen(function* () {
        for (const work of works) {
          const valid = Pipeline.validate(pipeline, work.value)
          const exit = Exit.isExit(valid) ? valid : yield* Effect.exit(valid)
          if (Exit.isSuccess(exit)) work.value = exit.value
          else work.failure = exit
        }
      })

    const pushes = (works: ReadonlyArray<Item>) =>
      Effect.gen(function* () {
        yield* validate(works)
        for (let i = 0; i < at; i++) yield* stageFor(i, works)
        // One row per stream, its pushes' frames in order; pushes without frames add none.
        const rows: Array<{ stream: Stream; pieces: Array<Frames>; works: Array<Item> }> = []
        for (const work of works) {
          if (work.failure !== undefined) continue
          const frames = work.value as Frames
          if (frames.count === 0) {
            work.value = scored(frames, new Float32Array(0))
            continue
          }
          const stream = work.stream
          if (stream.row < 0) {
            stream.row = rows.length
            rows.push({ stream, pieces: [frames], works: [work] })
          } else {
            const row = rows[stream.row]!
            row.pieces.push(frames)
            row.works.push(work)
          }
        }
        if (rows.length > 0) {
          for (const row of rows) row.stream.row = -1
          const exit = yield* Effect.exit(
            score(rows.map((row) => ({ stream: row.stream.model, pieces: row.pieces }))),
          )
          for (let r = 0; r < rows.length; r++) {
            const row = rows[r]!
            for (let k = 0; k < row.works.length; k++) {
              const work = row.works[k]!
              if (Exit.isFailure(exit)) work.failure = exit
              else work.value = scored(row.pieces[k]!, exit.value[r]![k]!)
            }
          }
        }
        for (let i = at + 1; i < stages.length; i++) yield* stageFor(i, works)
        for (const work of works) settle(work, work.failure ?? Exit.succeed(work.value))
      })

    const drain = (items: ReadonlyArray<Item>) =>
      Effect.gen(function* () {
        const works = items.filter((item) => item.kind === "push")
        if (works.length > 0) yield* pushes(works)
        // Ends and closes come after their stream's pushes (a push after them is refused).
        for (const item of items) {
          if (item.kind === "push") continue
          const exit =
            item.kind === "end"
              ? yield* Effect.exit(end(item.stream))
              : Exit.succeed(closeStream(item.stream))
          settle(item, exit)
        }
      })

    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          yield* wake.await
          wake.closeUnsafe()
          const items = queue.splice(0)
          inFlight = items
          // A bug of ours fails this batch's calls, not the gateway.
          yield* drain(items).pipe(
            Effect.catchCause((cause) =>
              Effect.sync(() => {
                for (const item of items) settle(item, Exit.failCause(cause))
              }),
            ),
          )
        }),
      ),
    )

    const enqueue = (item: Item) => {
      queue.push(item)
      wake.openUnsafe()
    }

    const openHandle = (): Handle => {
      const stream: Stream = {
        instances: stages.map((stage, i) => (i === at ? undefined : stage.open())),
        model: SileroBatch.initial(),
        ended: false,
        closed: false,
        row: -1,
      }
      streams.add(stream)
      // Once closed, or after this stream's end, nothing is queued: the call settles at once.
      const refuse = (done: Done) => {
        if (!closed) return false
        done(Exit.fail(cancelled()))
        return true
      }
      return {
        push: (input, done) => {
          if (stream.ended) {
            done(
              Exit.fail(
                new StreamEndedError({
                  message: `the "${pipeline.name}" stream has ended; open a new one to push more`,
                }),
              ),
            )
            return noCancel
          }
          if (refuse(done)) return noCancel
          const queued = item("push", stream, done, input)
          enqueue(queued)
          // Until a batch takes it, a cancelled push leaves the queue and changes nothing.
          return () => {
            const at = queue.indexOf(queued)
            if (at < 0) return
            queue.splice(at, 1)
            settle(queued, Exit.fail(new CancelledError({ message: "the push was cancelled" })))
          }
        },
        end: (done) => {
          if (stream.ended) return done(Exit.succeed([]))
          stream.ended = true
          if (!refuse(done)) enqueue(item("end", stream, done))
        },
        close: (done) => {
          if (stream.closed) return done(Exit.void)
          stream.ended = true
          if (!refuse(done)) enqueue(item("close", stream, done))
        },
      }
    }

    return {
      open: Effect.sync(() => effectSession<In, Out, E>(openHandle())),
      openHandle,
      timings: Pipeline.timings(pipeline),
      streams: () => streams.size,
    }
  })

/** A stream as plain callbacks, under both APIs: each call settles `done` once. */
interface Handle {
  /** Queues a push; the function it returns cancels it while it is still queued (once a batch has it, it runs). */
  readonly push: (input: unknown, done: Done) => () => void
  readonly end: (done: Done) => void
  readonly close: (done: Done) => void
}

const viaCallback = <A, E>(call: (done: Done) => void): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => call((exit) => resume(exit as Exit.Exit<A, E>)))

const effectSession = <In, Out, E>(
  handle: Handle,
): Pipeline.Session<In, Out, E | CancelledError, never> => ({
  push: (input) =>
    Effect.callback((resume) => {
      const cancel = handle.push(input, (exit) => resume(exit as Exit.Exit<Out, E>))
      return Effect.sync(cancel)
    }),
  end: () => viaCallback((done) => handle.end(done)),
  // Closing never fails: a closed gateway has closed the stream already.
  close: () => Effect.ignore(viaCallback<void, never>((done) => handle.close(done))),
})

/** The gateway for Promise users: `open()` a stream per microphone. */
export interface GatewayRunner<In, Out> {
  open(): Promise<Runner.StreamSession<In, Out>>
  /** Per-stage wall time so far; a stage counts one run per batch (and per flush). */
  timings(): Promise<Array<Pipeline.StageTiming>>
  /** Streams open now. */
  readonly streams: number
  /** Fails what is still queued with `CancelledError`, then frees the model. */
  close(): Promise<void>
}

const toError = (cause: Cause.Cause<unknown>): Error => {
  const failure = Cause.squash(cause)
  return failure instanceof Error ? failure : new Error(String(failure))
}

const promised = <A>(call: (done: Done) => void): Promise<A> =>
  new Promise((resolve, reject) =>
    call((exit) => (Exit.isSuccess(exit) ? resolve(exit.value) : reject(toError(exit.cause)))),
  )

/**
 * `make` with its own runtime built from `layer` (e.g. `NodeRuntime.layer()`),
 * with a metric registry of its own for its timings, as `createRunner` has.
 */
export const start = async <In, Out, E, R, ER>(
  pipeline: Pipeline.Pipeline<In, Out, E, R>,
  options: Options & { readonly layer: Layer.Layer<Infer.InferServices | R, ER> },
): Promise<GatewayRunner<In, Out>> => {
  const runtime = ManagedRuntime.make(
    options.layer.pipe(Layer.provideMerge(Layer.succeed(Metric.MetricRegistry, new Map()))),
  )
  const scope = Scope.makeUnsafe()
  let gateway: Internal<In, Out, E>
  try {
    gateway = await runtime.runPromise(Scope.provide(makeInternal(pipeline, options), scope))
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  let closing: Promise<void> | undefined
  const refused = () => Promise.reject(new CancelledError({ message: "the gateway is closed" }))
  return {
    open: async () => {
      if (closing !== undefined) return refused()
      const handle = gateway.openHandle()
      return {
        push: (input, call) => {
          const signal = call?.signal
          if (signal === undefined) return promised((done) => handle.push(input, done))
          if (signal.aborted) {
            return Promise.reject(new CancelledError({ message: "the push was cancelled" }))
          }
          let cancel = noCancel
          const onAbort = () => cancel()
          signal.addEventListener("abort", onAbort, { once: true })
          return promised<Out>((done) => {
            cancel = handle.push(input, done)
          }).finally(() => signal.removeEventListener("abort", onAbort))
        },
        end: () => promised((done) => handle.end(done)),
        // Closing never fails: a closed gateway has closed the stream already.
        close: () => promised<void>((done) => handle.close(done)).catch(() => undefined),
      }
    },
    timings: () => (closing !== undefined ? refused() : runtime.runPromise(gateway.timings)),
    get streams() {
      return gateway.streams()
    },
    close: () => {
      closing ??= runtime.runPromise(Scope.close(scope, Exit.void)).finally(() => runtime.dispose())
      return closing
    },
  }
}
