/**
 * Ending a `worker_threads` Worker without taking the process down.
 *
 * onnxruntime-node runs a model synchronously on the worker's JS thread.
 * When `Worker.terminate()` lands inside that native call, the binding
 * throws a C++ exception while the worker's environment is shutting down,
 * and `std::terminate` aborts the whole process (signal 6). Nothing inside
 * the binding can be fixed from JS, so termination is made cooperative: the
 * worker is first asked to stop its runs and waits for the native ones to
 * return, and only then is it ended. A worker that does not answer within
 * the timeout is ended anyway: its thread is stuck in JavaScript (a native
 * run returns within one frame), where ending it is safe.
 */
import type { Worker } from "node:worker_threads"

/** How long a worker may take to stop before it is ended anyway, unless `terminateTimeoutMs` says otherwise. */
export const DEFAULT_TERMINATE_TIMEOUT_MS = 5_000

export interface Termination {
  /** The Worker's own `terminate()`, called at most once; resolves with its exit code. */
  readonly now: () => Promise<number>
  /** Waits for `stopping`, ending the worker at once if that takes longer than the timeout. */
  readonly within: (stopping: Promise<void>) => Promise<void>
}

/**
 * Replaces `thread.terminate` with a cooperative one: `stop()` first (which
 * rejects the runner's pending calls and shuts the served pipeline down),
 * then the real `terminate()`, whose exit code it returns. Calling it again
 * returns the same promise. The real one stays reachable as `now`, for
 * `runner.close()`, which stops the pipeline itself.
 */
export const makeCooperative = (
  thread: Worker,
  timeoutMs: number,
  stop: () => Promise<void>,
): Termination => {
  const terminate = thread.terminate.bind(thread)
  let exited: Promise<number> | undefined
  const now = () => {
    exited ??= terminate()
    return exited
  }
  const within = async (stopping: Promise<void>) => {
    const timer = setTimeout(now, timeoutMs)
    try {
      await stopping
    } finally {
      clearTimeout(timer)
    }
  }
  let cooperative: Promise<number> | undefined
  thread.terminate = () => {
    cooperative ??= within(stop()).then(now)
    return cooperative
  }
  return { now, within }
}
