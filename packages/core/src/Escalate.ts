/**
 * Escalate stages send only what the device is unsure of to the cloud. When
 * the cloud cannot be reached (error or timeout) the local answer is
 * returned marked `degraded`: the pipeline keeps working offline.
 */
import { Cause, Duration, Effect, Metric } from "effect"
import { messageOf } from "./Errors.js"
import * as Stage from "./Stage.js"

export interface Escalated<A> {
  readonly value: A
  readonly source: "local" | "cloud"
  /** True when escalation was wanted but the cloud failed; `value` is then local. */
  readonly degraded: boolean
  readonly reason?: string | undefined
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
): Stage.Stage<In, Escalated<A>, never, R> => {
  const counters = outcomeCounters(options.name)
  const count = (outcome: Outcome) => Metric.update(counters[outcome], 1)
  return Stage.make("escalate", {
    name: options.name,
    run: (input: In): Effect.Effect<Escalated<A>, never, R> => {
      if (!options.shouldEscalate(input)) {
        const local: Escalated<A> = {
          value: options.local(input),
          source: "local",
          degraded: false,
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
        Effect.map((value): Escalated<A> => ({ value, source: "cloud", degraded: false })),
        Effect.tap(() => count("cloud")),
        Effect.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
          const error = Cause.squash(cause)
          const degraded: Escalated<A> = {
            value: options.local(input),
            source: "local",
            degraded: true,
            reason: messageOf(error),
          }
          return Effect.as(count("degraded"), degraded)
        }),
      )
    },
  })
}
