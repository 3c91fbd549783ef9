/**
 * A stage is one typed step of a pipeline: `In -> Effect<Out, E, R>`, with a
 * kind that carries its semantics (preprocess, infer, condense, escalate,
 * sync). A stage may keep state across the elements of a stream (a resampler's
 * filter memory, a recurrent model's hidden state): it is opened once per
 * one-shot run or once per stream, and flushed when the stream ends.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Stage } from "@edgeline/core"
 *
 * const words = Stage.preprocess({
 *   name: "words",
 *   input: Schema.String,
 *   run: (text: string) => Effect.succeed(text.split(/\s+/)),
 * })
 * ```
 */
import type { Effect, Schema } from "effect"
import { type Pipeable, pipeArguments } from "effect/Pipeable"

export type Kind = "preprocess" | "infer" | "condense" | "escalate" | "sync"

/** One opened stage: its state lives as long as the run or stream that opened it. */
export interface Instance<in In, out Out, out E, out R> {
  readonly step: (input: In) => Effect.Effect<Out, E, R>
  /** At the end of a stream: what the stage still holds, as one more output. */
  readonly flush?: (() => Effect.Effect<Out, E, R>) | undefined
  /** Once the run or stream is over (after any flush): frees what the state holds. */
  readonly close?: (() => void) | undefined
}

export interface Stage<in In, out Out, out E = never, out R = never> extends Pipeable {
  readonly kind: Kind
  readonly name: string
  /** Validated at pipeline entry and at worker boundaries. */
  readonly input?: Schema.Decoder<unknown> | undefined
  readonly open: () => Instance<In, Out, E, R>
  /** Joins a step's and a flush's outputs when a one-shot run ends the stream at once. */
  readonly concat?: ((a: any, b: any) => any) | undefined
  /** Work ahead of the first input, e.g. loading the model; see `Loads`. */
  readonly load?: Effect.Effect<void, E, R> | undefined
}

export type Any = Stage<any, any, any, any>
export type Input<S> = S extends Stage<infer In, any, any, any> ? In : never
export type Output<S> = S extends Stage<any, infer Out, any, any> ? Out : never
export type Error<S> = S extends Stage<any, any, infer E, any> ? E : never
export type Services<S> = S extends Stage<any, any, any, infer R> ? R : never

interface Common {
  readonly name: string
  /** A schema for the stage's input; checked when this stage is a pipeline's entry. */
  readonly input?: Schema.Decoder<unknown> | undefined
}

/**
 * Work a stage can do ahead of its first input, such as loading its model.
 * Only `Pipeline.load` (and `runner.load()`) runs it; a run never waits for
 * it. So `run`/`step` must still get what they need themselves, from the same
 * cache `load` fills (infer stages both go through `Model.session`), and
 * `load` must be safe to repeat or interrupt.
 */
export interface Loads<EL, RL> {
  readonly load?: Effect.Effect<void, EL, RL> | undefined
}

/** A stage without state: the same input always gives the same output. */
export interface Stateless<In, Out, E, R> extends Common {
  readonly run: (input: In) => Effect.Effect<Out, E, R>
}

/** A stage with state carried across the elements of a stream. */
export interface Stateful<S, In, Out, E, R> extends Common {
  /** Fresh state for a new run or stream. */
  readonly initial: () => S
  readonly step: (state: S, input: In) => Effect.Effect<Out, E, R>
  /** Emits what is still held when the stream ends (e.g. a trailing segment). */
  readonly flush?: ((state: S) => Effect.Effect<Out, E, R>) | undefined
  /** Joins two outputs; required with `flush` so a one-shot run returns one value. */
  readonly concat?: ((a: Out, b: Out) => Out) | undefined
  /** Once the run or stream is over, after any flush: frees what the state holds (e.g. a model version). */
  readonly close?: ((state: S) => void) | undefined
}

export type Body<S, In, Out, E, R> = Stateless<In, Out, E, R> | Stateful<S, In, Out, E, R>

const StageProto = {
  pipe() {
    // biome-ignore lint/complexity/noArguments: Pipeable protocol
    return pipeArguments(this, arguments)
  },
}

/** Builds a stage of any kind from a stateless or stateful body. */
export const make = <S, In, Out, E, R, EL = never, RL = never>(
  kind: Kind,
  body: Body<S, In, Out, E, R> & Loads<EL, RL>,
): Stage<In, Out, E | EL, R | RL> => {
  const open: () => Instance<In, Out, E, R> =
    "run" in body
      ? (() => {
          const instance: Instance<In, Out, E, R> = { step: body.run }
          return () => instance
        })()
      : () => {
          const state = body.initial()
          const { flush, close } = body
          return {
            step: (input: In) => body.step(state, input),
            flush: flush === undefined ? undefined : () => flush(state),
            close: close === undefined ? undefined : () => close(state),
          }
        }
  if (!("run" in body) && body.flush !== undefined && body.concat === undefined) {
    throw new TypeError(`stage "${body.name}": a stateful stage with flush also needs concat`)
  }
  return Object.assign(Object.create(StageProto), {
    kind,
    name: body.name,
    input: body.input,
    open,
    load: body.load,
    concat: "run" in body ? undefined : body.concat,
  })
}

/** A stage constructor for one kind, stateless or stateful. */
export interface Constructor {
  <In, Out, E = never, R = never, EL = never, RL = never>(
    body: Stateless<In, Out, E, R> & Loads<EL, RL>,
  ): Stage<In, Out, E | EL, R | RL>
  <S, In, Out, E = never, R = never, EL = never, RL = never>(
    body: Stateful<S, In, Out, E, R> & Loads<EL, RL>,
  ): Stage<In, Out, E | EL, R | RL>
}

/** Pure shaping of inputs: decoding, resampling, framing, featurizing. */
export const preprocess: Constructor = (body: Body<any, any, any, any, any> & Loads<any, any>) =>
  make("preprocess", body)
