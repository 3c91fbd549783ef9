/**
 * Async work run one at a time per key. The lock is held by the promise,
 * not by the fiber that asked: an interrupted caller's write (an fsync
 * cannot be called back) still finishes before the next one for its key
 * starts, so two writes to one file never interleave.
 */
export interface Serial {
  readonly run: <A>(key: string, work: () => Promise<A>) => Promise<A>
}

export const make = (): Serial => {
  const tails = new Map<string, Promise<unknown>>()
  return {
    run: (key, work) => {
      const previous = tails.get(key) ?? Promise.resolve()
      const result = previous.then(work, work)
      const tail = result.then(
        () => {},
        () => {},
      )
      tails.set(key, tail)
      // Forget the key once its last piece of work is done, so the map stays small.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key)
      })
      return result
    },
  }
}
