/**
 * Infer stages: run a model on the device. The stage names its model; the
 * `InferenceBackend` and `ModelSource` in context decide how and from where.
 *
 * - `infer` maps an input to feeds and the outputs back, and can micro-batch:
 *   concurrent callers' feeds are stacked on dim 0 into one backend call.
 * - `inferStateful` carries state across a stream (e.g. a recurrent model's
 *   hidden state) and gets the session to drive frame by frame.
 */
import { Duration, Effect, Exit, Request, RequestResolver, type Schema } from "effect"
import {
  type InferenceError,
  type ModelLoadError,
  type ModelNotFoundError,
  TensorShapeError,
} from "./Errors.js"
import type { InferenceBackend, Key, Session, SessionOptions } from "./InferenceBackend.js"
import type { Generation, LiveModel } from "./internal/liveModel.js"
import * as Models from "./internal/models.js"
import type { ModelRef } from "./ModelRef.js"
import type { ModelSource } from "./ModelSource.js"
import * as Stage from "./Stage.js"
import * as Tensor from "./Tensor.js"

export type InferError = InferenceError | ModelLoadError | ModelNotFoundError | TensorShapeError
/** What an infer stage needs: its backend (by default `InferenceBackend`) and a `ModelSource`. */
export type InferServices<Backend = InferenceBackend> = Backend | ModelSource

export interface BatchOptions {
  /** Most inputs stacked into one call. */
  readonly maxSize: number
  /**
   * Longest a first caller waits for company before the batch runs. 0
   * waits for no timer: a batch holds the callers that arrived in the same
   * turn of the event loop, so a lone caller is not slowed down.
   */
  readonly maxWaitMs: number
  /**
   * Inputs whose last dim varies from call to call (a bag of sparse
   * features): each is padded with zeros to the widest in the batch. Only
   * for models that read a zero as nothing (index 0 with weight 0, say).
   */
  readonly ragged?: boolean | undefined
}

export interface Options<In, Out, Backend = InferenceBackend> {
  readonly name: string
  readonly model: ModelRef
  readonly session?: SessionOptions | undefined
  /**
   * The backend that runs the model, when it is not the `InferenceBackend`:
   * any service whose shape is a backend, so two backends serve one pipeline.
   */
  readonly backend?: Key<Backend> | undefined
  readonly input?: Schema.Decoder<unknown> | undefined
  /** Feeds for one input; with `batch`, every feed's dim 0 counts this input's rows. */
  readonly encode: (input: In) => Tensor.Feeds
  readonly decode: (outputs: Tensor.Feeds, input: In) => Out
  readonly batch?: BatchOptions | undefined
}

interface BatchedRun extends Request.Request<Tensor.Feeds, InferenceError | TensorShapeError> {
  readonly session: Session
  readonly feeds: Tensor.Feeds
}
const BatchedRun = Request.of<BatchedRun>()

const rowsOf = (feeds: Tensor.Feeds): number => Object.values(feeds)[0]?.dims[0] ?? 0

/** Stacks the feeds of several requests, runs them once, splits the outputs back. */
const runBatch = (entries: ReadonlyArray<Request.Entry<BatchedRun>>, ragged: boolean) =>
  Effect.gen(function* () {
    const first = entries[0]!.request
    const rows = entries.map((e) => rowsOf(e.request.feeds))
    const stacked = yield* Effect.try({
      try: () => {
        const feeds: Record<string, Tensor.Tensor> = {}
        for (const name of Object.keys(first.feeds)) {
          const parts = entries.map((e) => e.request.feeds[name]!)
          feeds[name] = ragged ? Tensor.concatPadded(parts) : Tensor.concat(parts)
        }
        return feeds
      },
      catch: (e) => e as TensorShapeError,
    })
    const outputs = yield* first.session.run(stacked)
    const perEntry: Array<Record<string, Tensor.Tensor>> = entries.map(() => ({}))
    for (const [name, tensor] of Object.entries(outputs)) {
      const parts = Tensor.split(tensor, rows)
      parts.forEach((part, i) => {
        perEntry[i]![name] = part
      })
    }
    entries.forEach((entry, i) => {
      entry.completeUnsafe(Exit.succeed(perEntry[i]!))
    })
  }).pipe(
    Effect.catch((error) =>
      Effect.sync(() => {
        for (const entry of entries) entry.completeUnsafe(Exit.fail(error))
      }),
    ),
  )

const batchResolver = (options: BatchOptions) =>
  RequestResolver.makeWith<BatchedRun>({
    batchKey: (entry) => entry.request.session,
    delay:
      options.maxWaitMs > 0 ? Effect.sleep(Duration.millis(options.maxWaitMs)) : Effect.yieldNow,
    collectWhile: (requests) => requests.size < options.maxSize,
    runAll: (entries) => runBatch(entries, options.ragged === true),
  })

/** Shape errors from `encode` are typed failures; anything else it throws is a bug (a defect). */
const encodeWith = <In>(encode: (input: In) => Tensor.Feeds, input: In) =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(encode(input))
    } catch (e) {
      return e instanceof TensorShapeError ? Effect.fail(e) : Effect.die(e)
    }
  })

/**
 * A stateless infer stage, optionally micro-batched. Each run holds the
 * model version current when it starts until it ends, so a new version
 * (see `Model`) serves from the next run on.
 */
export const infer = <In, Out, Backend = InferenceBackend>(
  options: Options<In, Out, Backend>,
): Stage.Stage<In, Out, InferError, InferServices<Backend>> => {
  const getLive = Models.live(options.model, options.session, options.backend)
  const resolver = options.batch ? batchResolver(options.batch) : undefined
  // A backend that cannot run stacked feeds gets one call per input instead.
  const runFeeds = (live: LiveModel, session: Session, feeds: Tensor.Feeds) =>
    resolver === undefined || !live.batching
      ? session.run(feeds)
      : Effect.request(BatchedRun({ session, feeds }), resolver)
  const runOn = (live: LiveModel, input: In) => (generation: Generation) =>
    Effect.flatMap(encodeWith(options.encode, input), (feeds) =>
      Effect.map(runFeeds(live, generation.session, feeds), (outputs) =>
        options.decode(outputs, input),
      ),
    )
  return Stage.make("infer", {
    name: options.name,
    input: options.input,
    load: Effect.asVoid(getLive),
    run: (input: In) =>
      Effect.flatMap(getLive, (live) =>
        Effect.acquireUseRelease(
          Effect.sync(() => live.use()),
          runOn(live, input),
          (generation) => Effect.sync(() => live.done(generation)),
        ),
      ),
  })
}

export interface StatefulOptions<S, In, Out, E, R, Backend = InferenceBackend> {
  readonly name: string
  readonly model: ModelRef
  readonly session?: SessionOptions | undefined
  /** The backend that runs the model, when it is not the `InferenceBackend`. */
  readonly backend?: Key<Backend> | undefined
  readonly input?: Schema.Decoder<unknown> | undefined
  readonly initial: () => S
  readonly step: (session: Session, state: S, input: In) => Effect.Effect<Out, E, R>
  readonly flush?: ((session: Session, state: S) => Effect.Effect<Out, E, R>) | undefined
  readonly concat?: ((a: Out, b: Out) => Out) | undefined
  /**
   * A safe point: whether a stream may switch to a newer model version
   * before its next element, its state starting afresh from `initial()`
   * (e.g. between utterances). Without it an open stream keeps the version
   * it started with to its end, and the next stream takes the new one: a
   * recurrent state is meaningless to another version of the model.
   */
  readonly switchAt?: ((state: S) => boolean) | undefined
}

/** A stream's state and the model version it holds. */
interface Held<S> {
  state: S
  live: LiveModel | undefined
  generation: Generation | undefined
}

/**
 * An infer stage whose state (e.g. recurrent tensors) is carried across a
 * stream. The stream holds one model version from its first element to its
 * end, or to a safe point (`switchAt`) once a newer one serves.
 */
export const inferStateful = <S, In, Out, E = never, R = never, Backend = InferenceBackend>(
  options: StatefulOptions<S, In, Out, E, R, Backend>,
): Stage.Stage<In, Out, E | InferError, R | InferServices<Backend>> => {
  const getLive = Models.live(options.model, options.session, options.backend)
  const { flush, switchAt } = options
  /** The session this element runs on: the held version, or a newer one at a safe point. */
  const sessionFor = (held: Held<S>, live: LiveModel): Session => {
    let generation = held.generation
    if (generation === undefined) {
      generation = live.use()
    } else if (live.stale(generation) && switchAt?.(held.state)) {
      live.done(generation)
      generation = live.use()
      held.state = options.initial()
    }
    held.live = live
    held.generation = generation
    return generation.session
  }
  /** The stream's live model: looked up once, then kept for its elements. */
  const liveFor = (held: Held<S>) => (held.live === undefined ? getLive : Effect.succeed(held.live))
  return Stage.make("infer", {
    name: options.name,
    input: options.input,
    load: Effect.asVoid(getLive),
    initial: (): Held<S> => ({ state: options.initial(), live: undefined, generation: undefined }),
    step: (held: Held<S>, input: In) => {
      // A stream already on the version that serves needs no lookup and no
      // switch: its step runs straight on its session (once per live push).
      const { live, generation } = held
      if (live !== undefined && generation !== undefined && !live.stale(generation)) {
        return options.step(generation.session, held.state, input)
      }
      return Effect.flatMap(liveFor(held), (current) =>
        options.step(sessionFor(held, current), held.state, input),
      )
    },
    // The end of the stream is no place to switch: what the state holds belongs to its version.
    flush:
      flush === undefined
        ? undefined
        : (held: Held<S>) =>
            Effect.flatMap(liveFor(held), (live) =>
              flush(held.generation?.session ?? sessionFor(held, live), held.state),
            ),
    close: (held: Held<S>) => {
      if (held.generation !== undefined) held.live?.done(held.generation)
      held.generation = undefined
    },
    concat: options.concat,
  })
}
