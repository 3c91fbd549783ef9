/**
 * One effect at a time, in arrival order: how a stream's pushes take turns,
 * so stateful stages never see two elements interleaved. A lock cheaper than
 * a one-permit `Semaphore` when, as almost always, nobody waits (a live
 * source awaits each push): taking a free turn is a flag, not a fiber
 * registration, a waiter set and a release task.
 */
import { Effect } from "effect"

export class Turn {
  private held = false
  private readonly waiting: Array<() => void> = []

  /** Runs `effect` once the turn is free, holding it until `effect` ends, however it ends. */
  run<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.uninterruptibleMask((restore) => {
      if (!this.held) {
        this.held = true
        return Effect.onExit(restore(effect), this.release)
      }
      // Interruptible only while waiting; once handed the turn, it is held until the exit.
      return Effect.andThen(restore(this.wait), Effect.onExit(restore(effect), this.release))
    })
  }

  private readonly release = (): Effect.Effect<void> => {
    this.passOn()
    return Effect.void
  }

  /**
   * Hands the turn to the longest waiting, or frees it. The waiter resumes
   * in a microtask, not inside this exit: a long line would otherwise run
   * push inside push, ever deeper on one stack.
   */
  private passOn(): void {
    const next = this.waiting.shift()
    if (next === undefined) this.held = false
    else void Promise.resolve().then(next)
  }

  /**
   * Resumes once handed the turn. A waiter interrupted in line leaves it;
   * one interrupted after being handed the turn (before it resumed) passes
   * it on.
   */
  private readonly wait = Effect.callback<void>((resume) => {
    const handed = () => resume(Effect.void)
    this.waiting.push(handed)
    return Effect.sync(() => {
      const at = this.waiting.indexOf(handed)
      if (at >= 0) this.waiting.splice(at, 1)
      else this.passOn()
    })
  })
}
