// Plain postMessage request/reply between the page and a bench worker: the
// control channel for runs timed inside the worker (not core's transport,
// which is what the round-trip side measures).

let nextId = 0

/** Sends `{ kind, ...args }` to `worker`; resolves with its reply, rejects with its error. */
export const ask = (worker, kind, args = {}, transfer = []) =>
  new Promise((resolve, reject) => {
    const id = `bench-${nextId++}`
    const done = () => {
      worker.removeEventListener("message", onMessage)
      worker.removeEventListener("error", onError)
    }
    const onMessage = ({ data }) => {
      if (data?.id !== id) return
      done()
      if (data.ok) resolve(data.value)
      else reject(new Error(data.error))
    }
    // A worker that failed to load would never answer.
    const onError = (event) => {
      done()
      reject(new Error(`the worker failed: ${event.message || "script error"}`))
    }
    worker.addEventListener("message", onMessage)
    worker.addEventListener("error", onError)
    worker.postMessage({ id, kind, ...args }, transfer)
  })

/**
 * Inside a worker: answers `ask` with `handlers[kind](message)`. A handler
 * returns `{ value, transfer? }`. Messages without a known kind are left
 * alone (they may be core's transport on the same worker).
 */
export const answer = (handlers) => {
  self.addEventListener("message", async ({ data }) => {
    const handler = handlers[data?.kind]
    if (typeof data?.id !== "string" || !data.id.startsWith("bench-") || handler === undefined) {
      return
    }
    try {
      const { value, transfer = [] } = await handler(data)
      self.postMessage({ id: data.id, ok: true, value }, transfer)
    } catch (e) {
      self.postMessage({
        id: data.id,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
      })
    }
  })
}
