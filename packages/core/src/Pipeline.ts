/**
 * A pipeline is stages composed end to end, checked by the type system: each
 * stage's output must be the next one's input; errors and required services
 * accumulate in `E` and `R`, which a runtime Layer provides.
 *
 * Run it on one input (`run`), or open it once and push a stream through it
 * (`open`, `stream`): stateful stages then carry their state across elements.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline, Stage } from "@edgeline/core"
 *
 * const split = Stage.preprocess({ name: "split", run: (s: string) => Effect.succeed(s.split(" ")) })
 * const count = Stage.preprocess({ name: "count", run: (w: string[]) => Effect.succeed(w.length) })
 * const words = Pipeline.make("words", split, count) // Pipeline<string, number, never, never>
 * Effect.runPromise(Pipeline.run(words, "on the edge")) // 3
 * ```
 */
import { Cause, type Context, Effect, Exit, Metric, Schema, Stream } from "effect"
import { dual } from "effect/Function"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import { InputValidationError, messageOf, StreamEndedError } from "./Errors.js"
import { Turn } from "./internal/turn.js"
import * as Progress from "./Progress.js"
import type * as Stage from "./Stage.js"
import * as StageMetrics from "./StageMetrics.js"

export interface Pipeline<in In, out Out, out E = never, out R = never> extends Pipeable {
  readonly name: string
  readonly stages: ReadonlyArray<Stage.Any>
  /** Each stage's span and duration metric in this pipeline, by position. */
  readonly metrics: ReadonlyArray<StageMetrics.StageMetrics>
  /** Phantom: keeps In/Out/E/R on the type. */
  readonly "~types"?: { in: (i: In) => void; out: Out; e: E; r: R }
}

export type Any = Pipeline<any, any, any, any>
export type Input<P> = P extends Pipeline<infer In, any, any, any> ? In : never
export type Output<P> = P extends Pipeline<any, infer Out, any, any> ? Out : never
export type Error<P> = P extends Pipeline<any, any, infer E, any> ? E : never
export type Services<P> = P extends Pipeline<any, any, any, infer R> ? R : never

type S<In, Out, E, R> = Stage.Stage<In, Out, E, R>

const PipelineProto = {
  pipe() {
    // biome-ignore lint/complexity/noArguments: Pipeable protocol
    return pipeArguments(this, arguments)
  },
}

const build = (name: string, stages: ReadonlyArray<Stage.Any>): Any => {
  if (stages.length === 0) throw new TypeError(`pipeline "${name}" needs at least one stage`)
  const metrics = stages.map((stage) => StageMetrics.make(name, stage))
  return Object.assign(Object.create(PipelineProto), { name, stages, metrics })
}

/** Composes stages; a mismatch between one stage's output and the next's input is a type error. */
export function make<A, B, E1, R1>(name: string, s1: S<A, B, E1, R1>): Pipeline<A, B, E1, R1>
export function make<A, B, C, E1, R1, E2, R2>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
): Pipeline<A, C, E1 | E2, R1 | R2>
export function make<A, B, C, D, E1, R1, E2, R2, E3, R3>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
): Pipeline<A, D, E1 | E2 | E3, R1 | R2 | R3>
export function make<A, B, C, D, F, E1, R1, E2, R2, E3, R3, E4, R4>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
): Pipeline<A, F, E1 | E2 | E3 | E4, R1 | R2 | R3 | R4>
export function make<A, B, C, D, F, G, E1, R1, E2, R2, E3, R3, E4, R4, E5, R5>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
  s5: S<F, G, E5, R5>,
): Pipeline<A, G, E1 | E2 | E3 | E4 | E5, R1 | R2 | R3 | R4 | R5>
export function make<A, B, C, D, F, G, H, E1, R1, E2, R2, E3, R3, E4, R4, E5, R5, E6, R6>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
  s5: S<F, G, E5, R5>,
  s6: S<G, H, E6, R6>,
): Pipeline<A, H, E1 | E2 | E3 | E4 | E5 | E6, R1 | R2 | R3 | R4 | R5 | R6>
export function make<
  A,
  B,
  C,
  D,
  F,
  G,
  H,
  I,
  E1,
  R1,
  E2,
  R2,
  E3,
  R3,
  E4,
  R4,
  E5,
  R5,
  E6,
  R6,
  E7,
  R7,
>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
  s5: S<F, G, E5, R5>,
  s6: S<G, H, E6, R6>,
  s7: S<H, I, E7, R7>,
): Pipeline<A, I, E1 | E2 | E3 | E4 | E5 | E6 | E7, R1 | R2 | R3 | R4 | R5 | R6 | R7>
export function make<
  A,
  B,
  C,
  D,
  F,
  G,
  H,
  I,
  J,
  E1,
  R1,
  E2,
  R2,
  E3,
  R3,
  E4,
  R4,
  E5,
  R5,
  E6,
  R6,
  E7,
  R7,
  E8,
  R8,
>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
  s5: S<F, G, E5, R5>,
  s6: S<G, H, E6, R6>,
  s7: S<H, I, E7, R7>,
  s8: S<I, J, E8, R8>,
): Pipeline<A, J, E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8, R1 | R2 | R3 | R4 | R5 | R6 | R7 | R8>
export function make<
  A,
  B,
  C,
  D,
  F,
  G,
  H,
  I,
  J,
  K,
  E1,
  R1,
  E2,
  R2,
  E3,
  R3,
  E4,
  R4,
  E5,
  R5,
  E6,
  R6,
  E7,
  R7,
  E8,
  R8,
  E9,
  R9,
>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
  s5: S<F, G, E5, R5>,
  s6: S<G, H, E6, R6>,
  s7: S<H, I, E7, R7>,
  s8: S<I, J, E8, R8>,
  s9: S<J, K, E9, R9>,
): Pipeline<
  A,
  K,
  E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9,
  R1 | R2 | R3 | R4 | R5 | R6 | R7 | R8 | R9
>
export function make<
  A,
  B,
  C,
  D,
  F,
  G,
  H,
  I,
  J,
  K,
  L,
  E1,
  R1,
  E2,
  R2,
  E3,
  R3,
  E4,
  R4,
  E5,
  R5,
  E6,
  R6,
  E7,
  R7,
  E8,
  R8,
  E9,
  R9,
  E10,
  R10,
>(
  name: string,
  s1: S<A, B, E1, R1>,
  s2: S<B, C, E2, R2>,
  s3: S<C, D, E3, R3>,
  s4: S<D, F, E4, R4>,
  s5: S<F, G, E5, R5>,
  s6: S<G, H, E6, R6>,
  s7: S<H, I, E7, R7>,
  s8: S<I, J, E8, R8>,
  s9: S<J, K, E9, R9>,
  s10: S<K, L, E10, R10>,
): Pipeline<
  A,
  L,
  E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9 | E10,
  R1 | R2 | R3 | R4 | R5 | R6 | R7 | R8 | R9 | R10
>
export function make(name: string, ...stages: Array<Stage.Any>): Any {
  return build(name, stages)
}

/** Appends a stage (data-last, for `pipe`). */
export const andThen =
  <Out, Out2, E2, R2>(stage: S<Out, Out2, E2, R2>) =>
  <In, E, R>(self: Pipeline<In, Out, E, R>): Pipeline<In, Out2, E | E2, R | R2> =>
    build(self.name, [...self.stages, stage]) as Pipeline<In, Out2, E | E2, R | R2>

/** Puts two pipelines end to end. */
export const concat =
  <Out, Out2, E2, R2>(next: Pipeline<Out, Out2, E2, R2>) =>
  <In, E, R>(self: Pipeline<In, Out, E, R>): Pipeline<In, Out2, E | E2, R | R2> =>
    build(`${self.name}+${next.name}`, [...self.stages, ...next.stages]) as Pipeline<
      In,
      Out2,
      E | E2,
      R | R2
    >

/** Checks `input` against the entry stage's schema, if it has one. */
export const validate = <In, Out, E, R>(
  self: Pipeline<In, Out, E, R>,
  input: unknown,
): Effect.Effect<In, InputValidationError> => {
  const entry = self.stages[0]!
  if (entry.input === undefined) return Effect.succeed(input as In)
  // Synchronous decoding: a live stream validates every chunk, and the schema needs no services.
  const decoded = decoderFor(entry.input)(input)
  // A successful Exit is itself the Effect that succeeds with the value.
  if (Exit.isSuccess(decoded)) return decoded as Exit.Exit<In>
  const issue = Cause.squash(decoded.cause)
  return Effect.fail(
    new InputValidationError({
      stage: entry.name,
      message: `input to "${self.name}" (stage "${entry.name}") is invalid: ${messageOf(issue)}`,
    }),
  )
}

const decoders = new WeakMap<
  Schema.Decoder<unknown>,
  (input: unknown) => Exit.Exit<unknown, unknown>
>()
const decoderFor = (schema: Schema.Decoder<unknown>) => {
  let decode = decoders.get(schema)
  if (decode === undefined) {
    decode = Schema.decodeUnknownExit(schema)
    decoders.set(schema, decode)
  }
  return decode
}

/**
 * A pipeline opened for a stream: every stage opened once, so stateful
 * stages carry their state from one `push` to the next; `end` flushes.
 */
export interface Session<In, Out, E, R> {
  /** Fails with `StreamEndedError` after `end()`; concurrent pushes run one after another. */
  readonly push: (input: In) => Effect.Effect<Out, E | InputValidationError | StreamEndedError, R>
  /** Flushes every stage in order; each flushed value runs through the stages after it. */
  readonly end: () => Effect.Effect<Array<Out>, E, R>
  /** Ends the stream without flushing (a consumer that stopped early); `end` does this too. */
  readonly close: () => Effect.Effect<void>
}

/**
 * Runs `input` through `stages[from..]`, each counted in its stage metrics,
 * with `pipeline` progress after each. With a tracer installed every stage
 * runs under its own span; without one (the common case) the stages are
 * chained directly, and the fiber's registry, clock and progress listener
 * are read once per call rather than once per stage, so with nobody
 * listening no event is built.
 */
const runFrom = (
  self: Any,
  instances: ReadonlyArray<Stage.Instance<any, any, any, any>>,
  from: number,
  input: unknown,
): Effect.Effect<any, any, any> =>
  Effect.withFiber((fiber) =>
    StageMetrics.tracing(fiber)
      ? runTraced(self, instances, from, input, fiber.getRef(Progress.Reporter))
      : runCounted(self, instances, from, input, fiber),
  )

const runCounted = (
  self: Any,
  instances: ReadonlyArray<Stage.Instance<any, any, any, any>>,
  from: number,
  input: unknown,
  fiber: { getRef<S>(ref: Context.Reference<S>): S },
): Effect.Effect<any, any, any> => {
  const { stages, metrics, name } = self
  const registry = fiber.getRef(Metric.MetricRegistry)
  const listener = fiber.getRef(Progress.Reporter)
  const now = StageMetrics.clockOf(fiber)
  // The stage running now, and when it started.
  let at = from - 1
  let start = 0
  const next = (value: unknown): Effect.Effect<any, any, any> => {
    // One clock reading per stage boundary: the end of one stage is the start of the next.
    const time = now()
    if (at >= from) {
      metrics[at]!.tally(registry).record(time - start)
      if (listener !== undefined) {
        Progress.notify(listener, { scope: "pipeline", name, done: at + 1, total: stages.length })
      }
    }
    if (++at === stages.length) return Effect.succeed(value)
    start = time
    return Effect.flatMap(instances[at]!.step(value), next)
  }
  return Effect.catchCause(next(input), (cause) => {
    if (!Cause.hasInterruptsOnly(cause)) metrics[at]!.tally(registry).failures++
    return Effect.failCause(cause)
  })
}

/** `runFrom` with a span per stage, for a tracer to see. */
const runTraced = (
  self: Any,
  instances: ReadonlyArray<Stage.Instance<any, any, any, any>>,
  from: number,
  input: unknown,
  listener: Progress.Listener | undefined,
): Effect.Effect<any, any, any> =>
  Effect.gen(function* () {
    const { stages, metrics } = self
    let value = input
    for (let i = from; i < stages.length; i++) {
      value = yield* metrics[i]!.traced(instances[i]!.step(value))
      if (listener !== undefined) {
        Progress.notify(listener, {
          scope: "pipeline",
          name: self.name,
          done: i + 1,
          total: stages.length,
        })
      }
    }
    return value
  })

/** Opens every stage once (fresh state) for a stream of inputs. */
export const open = <In, Out, E, R>(self: Pipeline<In, Out, E, R>): Session<In, Out, E, R> => {
  const instances = self.stages.map((stage) => stage.open())
  // One element at a time: stateful stages must see pushes in order, never interleaved.
  const turn = new Turn()
  let ended = false
  let closed = false
  const close = Effect.suspend(() => {
    ended = true
    if (closed) return Effect.void
    closed = true
    return closeAll(instances)
  })
  const streamEnded = () =>
    Effect.fail(
      new StreamEndedError({
        message: `the "${self.name}" stream has ended; open a new one to push more`,
      }),
    )
  return {
    push: (input) =>
      // Checked and decoded when the push runs (under the turn), not when it is built.
      turn.run(
        Effect.suspend(() =>
          ended
            ? streamEnded()
            : Effect.flatMap(validate(self, input), (valid) => runFrom(self, instances, 0, valid)),
        ),
      ),
    end: () =>
      Effect.gen(function* () {
        if (ended) return []
        ended = true
        const outputs: Array<Out> = []
        for (let i = 0; i < instances.length; i++) {
          const flush = instances[i]!.flush
          if (flush === undefined) continue
          const held = yield* self.metrics[i]!.traced(flush())
          outputs.push(yield* runFrom(self, instances, i + 1, held))
        }
        return outputs
      }).pipe(Effect.ensuring(close), (ending) => turn.run(ending)),
    close: () => turn.run(close),
  }
}

/** Frees what the opened stages hold (a model version), once their run or stream is over. */
const closeAll = (instances: ReadonlyArray<Stage.Instance<any, any, any, any>>) =>
  Effect.sync(() => {
    for (const instance of instances) instance.close?.()
  })

/**
 * Runs one input through the pipeline. Stateful stages get fresh state and
 * are flushed at once; a stage's flushed output is joined to its step output
 * with the stage's `concat`.
 */
export const run: {
  <In>(
    input: In,
  ): <Out, E, R>(self: Pipeline<In, Out, E, R>) => Effect.Effect<Out, E | InputValidationError, R>
  <In, Out, E, R>(
    self: Pipeline<In, Out, E, R>,
    input: In,
  ): Effect.Effect<Out, E | InputValidationError, R>
} = dual(2, <In, Out, E, R>(self: Pipeline<In, Out, E, R>, input: In) => runOnce(self, input))

/** A stage opened for one input: its flushed output joined to its step output. */
const openOnce = (stage: Stage.Any): Stage.Instance<any, any, any, any> => {
  const instance = stage.open()
  const flush = instance.flush
  if (flush === undefined) return instance
  return {
    step: (input) =>
      Effect.flatMap(instance.step(input), (out) =>
        Effect.map(flush(), (held) => stage.concat!(out, held)),
      ),
    close: instance.close,
  }
}

const runOnce = <In, Out, E, R>(self: Pipeline<In, Out, E, R>, input: In) =>
  Effect.flatMap(
    Effect.suspend(() => validate(self, input)),
    (valid) => {
      const instances = self.stages.map(openOnce)
      const run = runFrom(self, instances, 0, valid)
      // Only stages that hold something (a model version) need closing; the others pay nothing.
      return instances.some((instance) => instance.close !== undefined)
        ? Effect.ensuring(run, closeAll(instances))
        : run
    },
  ).pipe(
    // As for stages: a stack trace per run costs more than a small message's whole triage.
    Effect.withSpan(`edgeline.pipeline.${self.name}`, {}, { captureStackTrace: false }),
  ) as Effect.Effect<Out, E | InputValidationError, R>

/** Runs a stream through one opened session; outputs flushed at the end follow the last one. */
export const stream =
  <In, Out, E, R>(self: Pipeline<In, Out, E, R>) =>
  <E2, R2>(
    inputs: Stream.Stream<In, E2, R2>,
  ): Stream.Stream<Out, E | E2 | InputValidationError, R | R2> =>
    Stream.suspend(() => {
      const session = open(self)
      return inputs.pipe(
        // This session is private to the stream: it cannot have ended early.
        Stream.mapEffect((input: In) =>
          Effect.catchTag(session.push(input), "StreamEndedError", Effect.die),
        ),
        Stream.concat(Stream.fromIterableEffect(Effect.suspend(() => session.end()))),
        // A consumer that stops early still ends the session, freeing what its stages hold.
        Stream.ensuring(Effect.suspend(() => session.close())),
      )
    })

/**
 * Loads what the stages need before their first input (their models), all at
 * once, reporting `load` progress as each stage is ready. Runs
 * under the same built layer (one runner, one `ManagedRuntime`, one
 * `Effect.provide` around both) then reuse those sessions: a live stream's
 * first chunk, or a timed run, does not pay for download, session and warm-up.
 * The first failure interrupts the other loads; see `Stage.Loads`.
 */
export const load = <In, Out, E, R>(self: Pipeline<In, Out, E, R>): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    const loading = self.stages.filter((stage) => stage.load !== undefined)
    let done = 0
    return Effect.forEach(
      loading,
      (stage) =>
        stage.load!.pipe(
          Effect.withSpan(`edgeline.load.${stage.name}`, {
            attributes: { "edgeline.stage": stage.name, "edgeline.kind": stage.kind },
          }),
          Effect.andThen(
            Effect.suspend(() =>
              Progress.report({
                scope: "load",
                name: self.name,
                done: ++done,
                total: loading.length,
              }),
            ),
          ),
        ),
      { concurrency: "unbounded", discard: true },
    )
  }).pipe(Effect.withSpan(`edgeline.pipeline.${self.name}.load`)) as Effect.Effect<void, E, R>

export interface StageTiming {
  readonly stage: string
  readonly kind: Stage.Kind
  /** Successful runs (one input or one stream element each, and each flush). */
  readonly count: number
  /** Runs that failed; interrupted ones are not counted. */
  readonly failures: number
  readonly totalMs: number
  readonly meanMs: number
  readonly maxMs: number
  /** Wall time of the last successful run (0 before the first). */
  readonly lastMs: number
}

/**
 * Per-stage wall time recorded so far in this pipeline, from its stage
 * metrics (tagged with the pipeline's name, so another pipeline sharing a
 * stage, or a stage name, counts its own runs), in the current
 * `MetricRegistry`.
 */
export const timings = (self: Any): Effect.Effect<Array<StageTiming>> =>
  Effect.contextWith((context: Context.Context<never>) =>
    Effect.succeed(StageMetrics.timingsUnsafe(self, context)),
  )
