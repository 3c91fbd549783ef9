/**
 * The outbox's writes to its storage, grouped: changes made while a write
 * is under way are merged into the next one, so a hundred events recorded
 * at once cost one or two storage writes (one flush to disk), not a
 * hundred, and each caller still waits until its own change is durable.
 *
 * A group is written as its net effect, in this order: the queue replaced,
 * ids removed, events added. That is the same state as the changes one by
 * one: an event added then removed within the group is not added (its id
 * is removed, which does nothing), and one removed then added again is
 * removed and then added. Groups reach storage in the order they were
 * made, one at a time.
 */
import type { Telemetry } from "@edgeline/core"
import { Cause, Effect, Exit, Result, Semaphore } from "effect"
import { StoreError } from "../Errors.js"
import type { Storage } from "../Outbox.js"

export type Change =
  | { readonly add: ReadonlyArray<Telemetry.Event> }
  | { readonly remove: ReadonlyArray<string> }
  | { readonly replace: ReadonlyArray<Telemetry.Event> }

interface Group {
  replace: ReadonlyArray<Telemetry.Event> | undefined
  readonly remove: Set<string>
  readonly add: Map<string, Telemetry.Event>
  /** Settles once the group is written: with the error if it was not. */
  readonly written: Promise<StoreError | undefined>
  readonly settle: (error: StoreError | undefined) => void
}

const newGroup = (): Group => {
  let settle!: (error: StoreError | undefined) => void
  const written = new Promise<StoreError | undefined>((resolve) => {
    settle = resolve
  })
  return { replace: undefined, remove: new Set(), add: new Map(), written, settle }
}

const merge = (group: Group, change: Change) => {
  if ("replace" in change) {
    group.replace = change.replace
    group.remove.clear()
    group.add.clear()
  } else if ("remove" in change) {
    for (const id of change.remove) {
      group.add.delete(id)
      group.remove.add(id)
    }
  } else {
    for (const event of change.add) group.add.set(event.id, event)
  }
}

/** The error a write ended with: a defect (a storage that threw) fails the group too, rather than leaving it waiting. */
const failureOf = (exit: Exit.Exit<void, StoreError>): StoreError | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findError(exit.cause)
  return Result.isSuccess(error)
    ? error.success
    : new StoreError({
        message: `telemetry outbox: the storage failed: ${Cause.pretty(exit.cause)}`,
      })
}

export interface GroupCommit {
  /**
   * Queues `changes` and returns the wait for them to be durable. Call it
   * in the same synchronous step as the changes to the queue in memory, so
   * storage sees changes in the order memory did.
   */
  readonly submit: (changes: ReadonlyArray<Change>) => Effect.Effect<void, StoreError>
}

export const make = (storage: Storage): Effect.Effect<GroupCommit> =>
  Effect.gen(function* () {
    const writer = yield* Semaphore.make(1)
    let pending: Group | undefined

    const write = (group: Group) =>
      Effect.gen(function* () {
        if (group.replace !== undefined) yield* storage.replace(group.replace)
        if (group.remove.size > 0) yield* storage.remove([...group.remove])
        if (group.add.size > 0) yield* storage.add([...group.add.values()])
      })

    // Writes `group` unless another caller of it did already. Uninterruptible:
    // a caller interrupted mid-write must not leave the others of its group
    // waiting, nor a write half done.
    const drain = (group: Group) =>
      Effect.uninterruptible(
        Semaphore.withPermit(
          writer,
          Effect.suspend(() => {
            if (pending !== group) return Effect.void
            pending = undefined
            return Effect.exit(write(group)).pipe(
              Effect.map((exit) => group.settle(failureOf(exit))),
            )
          }),
        ),
      )

    return {
      submit: (changes) => {
        if (changes.length === 0) return Effect.void
        pending ??= newGroup()
        const group = pending
        for (const change of changes) merge(group, change)
        // The group fills while the write before it is under way; the first
        // of its callers to get the writer writes it, and the others wait.
        return Effect.suspend(() => (pending === group ? drain(group) : Effect.void)).pipe(
          Effect.andThen(Effect.promise(() => group.written)),
          Effect.flatMap((error) => (error === undefined ? Effect.void : Effect.fail(error))),
        )
      },
    }
  })
