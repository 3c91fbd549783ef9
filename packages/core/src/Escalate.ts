/**
 * Escalate stages send only what the device is unsure of to the cloud. When
 * the cloud cannot be reached (error, timeout, open circuit) the local answer
 * is returned marked `degraded`: the pipeline keeps working offline and the
 * caller never sees the cloud's failure. The input of a degraded answer is
 * handed to `onDegraded`, so it can be asked again later.
 *
 * Every result carries its `input`, so a later stage (a `sync` tap, a
 * labelling job) can pair each input with the cloud's answer.
 *
 * @example
 * ```ts
 * import { CloudModel, Escalate } from "@edgeline/core"
 * import { Effect } from "effect"
 *
 * interface Scored { readonly text: string; readonly label: string; readonly confidence: number }
 * const later: Array<Escalate.DegradedItem<Scored, string>> = []
 * const triage = Escalate.escalate({
 *   name: "triage-cloud",
 *   local: (m: Scored) => m.label,
 *   shouldEscalate: (m) => m.confidence < 0.9,
 *   ask: (m) =>
 *     Effect.map(CloudModel.chat({ messages: [{ role: "user", content: m.text }] }), (r) => r.content),
 *   timeoutMs: 5_000,
 *   onDegraded: (item) => void later.push(item), // or offer it to a queue, an outbox
 * })
 * ```
 */
import { Cause, Clock, Duration, Effect, Metric } from "effect"
import { messageOf } from "./Errors.js"
import * as Stage from "./Stage.js"

export interface Escalated<A, In = unknown> {
  readonly value: A
  readonly source: "local" | "cloud"
  /** True when escalation was wanted but the cloud failed; `value` is then local. */
  readonly degraded: boolean
  readonly reason?: string | undefined
  /** The input this answer is for: pair it with a cloud answer to label training data. */
  readonly input: In
}

/** An input whose escalation failed, as `onDegraded` gets it: enough to ask again later. */
export interface DegradedItem<In, A> {
  /** The escalate stage's name. */
  readonly stage: string
  readonly input: In
  /** The local answer the caller got instead. */
  readonly local: A
  /** Why the cloud did not answer. */
  readonly reason: string
  /** When, in epoch milliseconds (Effect's `Clock`). */
  readonly at: number
}

export interface Options<In, A, E, R> {
  readonly name: string
  /** The device's own answer for this input. */
  readonly local: (input: In) => A
  /** Whether the device is unsure enough to ask (a predicate or calibrated threshold). */
  readonly shouldEscalate: (input: In) => boolean
  /** Asks the cloud; its answer replaces the local one. */
  readonly ask: (input: In) => Effect.Effect<A, E, R>
  readonly timeoutMs?: number | undefined
  /**
   * Records an input whose escalation failed, for later (a list, a queue,
   * a durable outbox). A plain function or an Effect; it runs before the
   * degraded answer is returned, and its own failure (or throw) is logged,
   * never the caller's.
   */
  readonly onDegraded?:
    | ((item: DegradedItem<In, A>) => void | Effect.Effect<void, unknown, R>)
    | undefined
}

type Outcome = Escalated<unknown>["source"] | "degraded"

/** A stage's outcome counters, attributes built in (see Stage's duration metric for why). */
const outcomeCounters = (stage: string): Record<Outcome, Metric.Counter<number>> => {
  const counter = (outcome: Outcome) =>
    Metric.counter("edgeline_escalations_total", {
      description: "Escalate stage outcomes: local, cloud, degraded",
      attributes: { stage, outcome },
    })
  return { local: counter("local"), cloud: counter("cloud"), degraded: counter("degraded") }
}

export const escalate = <In, A, E = never, R = never>(
  options: Options<In, A, E, R>,
): Stage.Stage<In, Escalated<A, In>, never, R> => {
  const counters = outcomeCounters(options.name)
  const count = (outcome: Outcome) => Metric.update(counters[outcome], 1)
  const onDegraded = options.onDegraded
  const record = (item: DegradedItem<In, A>): Effect.Effect<void, never, R> =>
    onDegraded === undefined
      ? Effect.void
      : Effect.suspend(() => {
          const recorded = onDegraded(item)
          return Effect.isEffect(recorded)
            ? (recorded as Effect.Effect<void, unknown, R>)
            : Effect.void
        }).pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.failCause(cause as Cause.Cause<never>)
              : Effect.logWarning(
                  `escalate "${options.name}": recording a degraded input failed: ${messageOf(Cause.squash(cause))}`,
                ),
          ),
        )
  return Stage.make("escalate", {
    name: options.name,
    run: (input: In): Effect.Effect<Escalated<A, In>, never, R> => {
      if (!options.shouldEscalate(input)) {
        const local: Escalated<A, In> = {
          value: options.local(input),
          source: "local",
          degraded: false,
          input,
        }
        return Effect.as(count("local"), local)
      }
      // A throwing client is a failed escalation too: the device keeps its answer.
      const asked = Effect.suspend(() => options.ask(input))
      const ask =
        options.timeoutMs === undefined
          ? asked
          : Effect.timeout(asked, Duration.millis(options.timeoutMs))
      return ask.pipe(
        Effect.map(
          (value): Escalated<A, In> => ({ value, source: "cloud", degraded: false, input }),
        ),
        Effect.tap(() => count("cloud")),
        Effect.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
          const reason = messageOf(Cause.squash(cause))
          const degraded: Escalated<A, In> = {
            value: options.local(input),
            source: "local",
            degraded: true,
            reason,
            input,
          }
          return count("degraded").pipe(
            Effect.andThen(Clock.currentTimeMillis),
            Effect.flatMap((at) =>
              record({ stage: options.name, input, local: degraded.value, reason, at }),
            ),
            Effect.as(degraded),
          )
        }),
      )
    },
  })
}
