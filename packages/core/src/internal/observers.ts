/**
 * Pushing a runner's state to its observers (a UI), coalesced: one snapshot
 * when an observer subscribes, then on changes at most one per observer's
 * `intervalMs`, the first change at once and the ones during the interval
 * as one trailing snapshot at its end, so the last state always arrives.
 * `close` sends every observer its last snapshot at once and ends them.
 *
 * The intervals are timed with `Effect.sleep` on Effect's default services,
 * not on the runner's runtime: a served worker's runtime is built only by
 * its first call, and is disposed at close, while a trailing snapshot may
 * still be due.
 */
import { Effect, type Fiber } from "effect"
import { messageOf } from "../Errors.js"
import type { Observation, ObserveOptions } from "../Runner.js"

export type Deliver = (observation: Observation) => unknown

interface Subscriber {
  readonly deliver: Deliver
  readonly intervalMs: number
  /** The interval after the last snapshot, while it runs. */
  timer: Fiber.Fiber<void> | undefined
  /** Something changed during the interval: a trailing snapshot is due. */
  dirty: boolean
}

export const DEFAULT_INTERVAL_MS = 100

/** Observers that have thrown: reported once, then ignored quietly. */
const reported = new WeakSet<Deliver>()

/** Calls an observer; one that throws is logged once (its first error), never the runner's failure. */
export const safely = (deliver: Deliver, observation: Observation): unknown => {
  try {
    return deliver(observation)
  } catch (error) {
    if (!reported.has(deliver)) {
      reported.add(deliver)
      ;(globalThis as { console?: { error(...args: Array<unknown>): void } }).console?.error(
        `edgeline: an observer threw (${messageOf(error)}); the runner goes on, and later errors from this observer are not reported`,
      )
    }
    return undefined
  }
}

export class Observers {
  private readonly subscribers = new Set<Subscriber>()
  private final: Observation | undefined

  constructor(private readonly read: () => Observation) {}

  /** Sends a snapshot now and on later changes; returns the unsubscribe. */
  subscribe(deliver: Deliver, options: ObserveOptions = {}): () => void {
    if (this.final !== undefined) {
      safely(deliver, this.final)
      return () => {}
    }
    const subscriber: Subscriber = {
      deliver,
      intervalMs: Math.max(0, options.intervalMs ?? DEFAULT_INTERVAL_MS),
      timer: undefined,
      dirty: false,
    }
    this.subscribers.add(subscriber)
    this.send(subscriber)
    return () => {
      if (!this.subscribers.delete(subscriber)) return
      subscriber.timer?.interruptUnsafe()
      subscriber.timer = undefined
    }
  }

  /** Something observers see has changed (a call started or ended, a model event). */
  changed(): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.timer !== undefined) subscriber.dirty = true
      else this.send(subscriber)
    }
  }

  /**
   * Sends each observer `final` at once, then no more (later subscribers
   * get it alone). Returns what the observers returned: a worker's are
   * promises that settle once the caller has heard them.
   */
  close(final: Observation): Array<unknown> {
    if (this.final !== undefined) return []
    this.final = final
    const answers: Array<unknown> = []
    for (const subscriber of this.subscribers) {
      subscriber.timer?.interruptUnsafe()
      subscriber.timer = undefined
      answers.push(safely(subscriber.deliver, final))
    }
    this.subscribers.clear()
    return answers
  }

  private send(subscriber: Subscriber): void {
    subscriber.dirty = false
    safely(subscriber.deliver, this.read())
    // The observer may have unsubscribed, or the runner closed, from inside its own call.
    if (subscriber.intervalMs === 0 || !this.subscribers.has(subscriber)) return
    const timer = Effect.runFork(Effect.sleep(subscriber.intervalMs))
    subscriber.timer = timer
    timer.addObserver((exit) => {
      if (subscriber.timer !== timer) return
      subscriber.timer = undefined
      if (exit._tag === "Success" && subscriber.dirty && this.subscribers.has(subscriber)) {
        this.send(subscriber)
      }
    })
  }
}
