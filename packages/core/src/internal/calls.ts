/**
 * What both front doors (the in-process runner and a worker's) share about
 * a call: its failure as the Error a Promise user sees, its AbortSignal, and
 * `stream` made from `open`.
 */
import { Cause } from "effect"
import { CancelledError, UnexpectedError } from "../Errors.js"
import type { AbortSignalLike, CallOptions, StreamSession } from "../Runner.js"

/** Turns an Effect failure into the Error a Promise user should see. */
export const toError = (cause: Cause.Cause<unknown>): Error => {
  const failure = Cause.findErrorOption(cause)
  if (failure._tag === "Some") {
    const e = failure.value
    return e instanceof Error ? e : new UnexpectedError({ message: String(e) })
  }
  if (Cause.hasInterruptsOnly(cause))
    return new CancelledError({ message: "the run was cancelled" })
  const defect = Cause.squash(cause)
  return new UnexpectedError({
    message: defect instanceof Error ? defect.message : Cause.pretty(cause),
  })
}

/**
 * Runs `start` with `abort` wired to the call's signal, for both front doors
 * (in-process and worker): an already-aborted signal rejects at once with
 * `CancelledError`, and the listener goes when the call settles.
 */
export const withSignal = <A>(
  signal: AbortSignalLike | undefined,
  abort: () => void,
  start: () => Promise<A>,
): Promise<A> => {
  // Without a signal, no listener to remove: the call's own promise, without an async wrapper.
  if (signal === undefined) {
    try {
      return start()
    } catch (e) {
      return Promise.reject(e)
    }
  }
  return withListener(signal, abort, start)
}

const withListener = async <A>(
  signal: AbortSignalLike,
  abort: () => void,
  start: () => Promise<A>,
): Promise<A> => {
  if (signal.aborted) throw new CancelledError({ message: "the signal was already aborted" })
  signal.addEventListener("abort", abort, { once: true })
  try {
    return await start()
  } finally {
    signal.removeEventListener("abort", abort)
  }
}

/**
 * The `stream` method, from `open`, shared by in-process and worker runners.
 * A consumer that stops early (break, throw) still closes the session, so
 * what the stages hold (and a worker's copy of the session) is released,
 * without the flushing work of `end`.
 */
export const streamWith = <In, Out>(open: () => Promise<StreamSession<In, Out>>) =>
  async function* (
    inputs: AsyncIterable<In> | Iterable<In>,
    options?: CallOptions,
  ): AsyncGenerator<Out> {
    const session = await open()
    let ended = false
    try {
      for await (const input of inputs) yield await session.push(input, options)
      ended = true
      for (const out of await session.end(options)) yield out
    } finally {
      if (!ended) await session.close().catch(() => undefined)
    }
  }
