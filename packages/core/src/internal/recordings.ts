/**
 * Where tap recordings run, so that whoever owns them can wait for them:
 * a runner and a served worker each provide a tracker (through
 * `Recordings`), and their `close()` drains it within a bound. Without a
 * tracker (an Effect user running `Pipeline.run` directly), a recording is
 * detached, as it always was; `Tap.layer` provides one for them.
 */
import { Context, Effect, Fiber } from "effect"

export class Tracker {
  private readonly fibers = new Set<Fiber.Fiber<unknown, unknown>>()
  private closed = false

  /** Recordings still running. */
  get pending(): number {
    return this.fibers.size
  }

  /** Tracks a recording's fiber until it ends; one started after `drain` gave up is interrupted at once. */
  add(fiber: Fiber.Fiber<unknown, unknown>): void {
    if (this.closed) {
      fiber.interruptUnsafe()
      return
    }
    this.fibers.add(fiber)
    fiber.addObserver(() => this.fibers.delete(fiber))
  }

  /**
   * Waits up to `bound` (ms) for the recordings to finish, recordings they
   * start included, then interrupts the ones left and takes no more.
   * Succeeds with how many were cut.
   */
  drain(bound: number): Effect.Effect<number> {
    const settled: Effect.Effect<void> = Effect.suspend(() =>
      this.fibers.size === 0
        ? Effect.void
        : Effect.andThen(Fiber.awaitAll([...this.fibers]), settled),
    )
    return Effect.timeoutOption(settled, Math.max(0, bound)).pipe(
      Effect.andThen(
        Effect.suspend(() => {
          this.closed = true
          const left = [...this.fibers]
          return Effect.as(Fiber.interruptAll(left), left.length)
        }),
      ),
    )
  }
}

/** The tracker of the runner (or `Tap.layer`) this effect runs under, if any. */
export const Recordings = Context.Reference<Tracker | undefined>("@edgeline/core/Tap/Recordings", {
  defaultValue: () => undefined,
})

/** Drains `tracker` within `bound` ms and logs a warning naming the recordings it had to cut. */
export const drainWithin = (tracker: Tracker, bound: number): Effect.Effect<void> =>
  Effect.flatMap(tracker.drain(bound), (cut) =>
    cut === 0
      ? Effect.void
      : Effect.logWarning(
          `edgeline: ${cut === 1 ? "1 tap recording was" : `${cut} tap recordings were`} still running ${bound} ms after close (tapDrainMs) and ${cut === 1 ? "was" : "were"} interrupted`,
        ),
  )

/** How long `close()` waits for tap recordings by default. */
export const DEFAULT_DRAIN_MS = 2_000
