/**
 * The spec of what a device reports home: counters (how many escalations,
 * how many degraded answers) and samples (an escalated message with the
 * cloud's label — the next student's training data — or a confidence).
 * A sink keeps them and uploads them (`@edgeline/sync`'s outbox: durable,
 * bounded, batched, at least once); `record` never blocks or fails the
 * caller, so reporting cannot break inference.
 *
 * Every event has an `id`, its idempotency key: an upload retried after a
 * cut is counted once by the server.
 */
import { Context, Effect, Layer } from "effect"
import * as Tap from "./Tap.js"

/** Counters are summed and never dropped; samples may be dropped when a bounded sink is full. */
export type Kind = "counter" | "sample"

export type Attributes = Readonly<Record<string, string | number | boolean>>

export interface Event {
  /** Unique; the idempotency key of its upload. */
  readonly id: string
  readonly kind: Kind
  readonly name: string
  /** When it happened (ISO 8601). */
  readonly at: string
  /** A counter's increment, or a measured value. */
  readonly value?: number | undefined
  readonly attributes?: Attributes | undefined
  /** A sample's content, as JSON. */
  readonly payload?: unknown
}

/** An event to record: `id` and `at` are filled in when left out. */
export type Input = Omit<Event, "id" | "at"> & { readonly id?: string; readonly at?: string }

export interface Shape {
  readonly record: (event: Input) => Effect.Effect<void>
}

export class Telemetry extends Context.Service<Telemetry, Shape>()("@edgeline/core/Telemetry") {}

interface CryptoLike {
  randomUUID(): string
}

/** A random UUID (WebCrypto, in browsers and Node alike). */
export const newId = (): string =>
  (globalThis as { crypto?: CryptoLike }).crypto?.randomUUID() ??
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`

/** The event `input` describes, with its id and time. */
export const complete = (input: Input): Event => ({
  ...input,
  id: input.id ?? newId(),
  at: input.at ?? new Date().toISOString(),
})

export const record = (event: Input): Effect.Effect<void, never, Telemetry> =>
  Telemetry.use((telemetry) => telemetry.record(event))

/** Adds `value` (default 1) to the counter `name`. */
export const count = (
  name: string,
  value = 1,
  attributes?: Attributes,
): Effect.Effect<void, never, Telemetry> => record({ kind: "counter", name, value, attributes })

/** Records `payload` as a sample named `name`. */
export const sample = (
  name: string,
  payload: unknown,
  attributes?: Attributes,
): Effect.Effect<void, never, Telemetry> => record({ kind: "sample", name, payload, attributes })

/** Telemetry that keeps nothing: for apps that report nothing. */
export const none: Layer.Layer<Telemetry> = Layer.succeed(Telemetry, { record: () => Effect.void })

/**
 * A tap stage recording each value that passes as a sample (`payload`
 * maps it to JSON; `undefined` records nothing). The value passes on at
 * once; see `Tap`.
 */
export const tapSamples = <A>(options: {
  readonly name: string
  readonly payload: (value: A) => unknown
  readonly sampleRate?: number | undefined
}) =>
  Tap.tap<A, never, Telemetry>({
    name: options.name,
    sampleRate: options.sampleRate,
    record: (value) => {
      const payload = options.payload(value)
      return payload === undefined ? Effect.void : sample(options.name, payload)
    },
  })
