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
import type { InferenceBackend, Session, SessionOptions } from "./InferenceBackend.js"
import * as Model from "./Model.js"
import type { ModelRef } from "./ModelRef.js"
import type { ModelSource } from "./ModelSource.js"
import * as Stage from "./Stage.js"
import * as Tensor from "./Tensor.js"

export type InferError = InferenceError | ModelLoadError | ModelNotFoundError | TensorShapeError
export type InferServices = InferenceBackend | ModelSource

export interface BatchOptions {
  /** Most inputs stacked into one call. */
  readonly maxSize: number
  /** Longest a first caller waits for company before the batch runs. */
  readonly maxWaitMs: number
}

export interface Options<In, Out> {
  readonly name: string
  readonly model: ModelRef
  readonly session?: SessionOptions | undefined
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
const runBatch = (entries: ReadonlyArray<Request.Entry<BatchedRun>>) =>
  Effect.gen(function* () {
    const first = entries[0]!.request
    const rows = entries.map((e) => rowsOf(e.request.feeds))
    const stacked = yield* Effect.try({
      try: () => {
        const feeds: Record<string, Tensor.Tensor> = {}
        for (const name of Object.keys(first.feeds)) {
          feeds[name] = Tensor.concat(entries.map((e) => e.request.feeds[name]!))
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
    delay: Effect.sleep(Duration.millis(options.maxWaitMs)),
    collectWhile: (requests) => requests.size < options.maxSize,
    runAll: (entries) => runBatch(entries),
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

/** A stateless infer stage, optionally micro-batched. */
export const infer = <In, Out>(
  options: Options<In, Out>,
): Stage.Stage<In, Out, InferError, InferServices> => {
  const getSession = Model.session(options.model, options.session)
  const resolver = options.batch ? batchResolver(options.batch) : undefined
  const runFeeds = (session: Session, feeds: Tensor.Feeds) =>
    resolver === undefined
      ? session.run(feeds)
      : Effect.request(BatchedRun({ session, feeds }), resolver)
  return Stage.make("infer", {
    name: options.name,
    input: options.input,
    load: Effect.asVoid(getSession),
    run: (input: In) =>
      Effect.gen(function* () {
        const session = yield* getSession
        const feeds = yield* encodeWith(options.encode, input)
        const outputs = yield* runFeeds(session, feeds)
        return options.decode(outputs, input)
      }),
  })
}

export interface StatefulOptions<S, In, Out, E, R> {
  readonly name: string
  readonly model: ModelRef
  readonly session?: SessionOptions | undefined
  readonly input?: Schema.Decoder<unknown> | undefined
  readonly initial: () => S
  readonly step: (session: Session, state: S, input: In) => Effect.Effect<Out, E, R>
  readonly flush?: ((session: Session, state: S) => Effect.Effect<Out, E, R>) | undefined
  readonly concat?: ((a: Out, b: Out) => Out) | undefined
}

/** An infer stage whose state (e.g. recurrent tensors) is carried across a stream. */
export const inferStateful = <S, In, Out, E = never, R = never>(
  options: StatefulOptions<S, In, Out, E, R>,
): Stage.Stage<In, Out, E | InferError, R | InferServices> => {
  const getSession = Model.session(options.model, options.session)
  const flush = options.flush
  return Stage.make("infer", {
    name: options.name,
    input: options.input,
    load: Effect.asVoid(getSession),
    initial: options.initial,
    step: (state: S, input: In) =>
      Effect.flatMap(getSession, (session) => options.step(session, state, input)),
    flush:
      flush === undefined
        ? undefined
        : (state: S) => Effect.flatMap(getSession, (session) => flush(session, state)),
    concat: options.concat,
  })
}
