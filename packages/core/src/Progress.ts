/**
 * Progress of long work. Stages report through this reference; the Promise
 * runner and the worker transport forward it to the caller's `onProgress`.
 * With nobody listening, reports cost nothing.
 */
import { Context, Effect } from "effect"
import { dual } from "effect/Function"
import { messageOf } from "./Errors.js"

/**
 * Whose progress an event is:
 * - `"pipeline"`: stages of one input done (`name` is the pipeline's);
 * - `"load"`: stages whose models are loaded (`name` is the pipeline's);
 * - `"stage"`: a stage's own work on one input, e.g. frames scored (`name` is the stage's).
 */
export type Scope = "pipeline" | "load" | "stage"

export interface Event {
  readonly scope: Scope
  readonly name: string
  readonly done: number
  readonly total: number
}

export type Listener = (event: Event) => void

export const Reporter = Context.Reference<Listener | undefined>("@edgeline/core/Progress", {
  defaultValue: () => undefined,
})

/** Listeners that have thrown: reported once, then ignored quietly. */
const reported = new WeakSet<Listener>()

/**
 * Calls a listener. One that throws is the caller's bug, never the run's
 * failure: its first error is logged as one line (no stack trace: a progress
 * bar firing ten times a second would flood the terminal), later ones not.
 */
export const notify = (listener: Listener | undefined, event: Event): void => {
  if (listener === undefined) return
  try {
    listener(event)
  } catch (error) {
    if (reported.has(listener)) return
    reported.add(listener)
    ;(globalThis as { console?: { error(...args: Array<unknown>): void } }).console?.error(
      `edgeline: an onProgress listener threw (${messageOf(error)}) on a "${event.scope}" event of "${event.name}"; the run goes on, and later errors from this listener are not reported`,
    )
  }
}

export const report = (event: Event): Effect.Effect<void> =>
  Effect.flatMap(Reporter, (listener) =>
    listener === undefined ? Effect.void : Effect.sync(() => notify(listener, event)),
  )

/** Runs `effect` with `listener` receiving its progress events. */
export const withListener: {
  (
    listener: Listener | undefined,
  ): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, listener: Listener | undefined): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(effect: Effect.Effect<A, E, R>, listener: Listener | undefined) =>
  Effect.provideService(effect, Reporter, listener),
)
