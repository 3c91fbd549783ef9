/** The error a promise rejects with; fails the test if it resolves instead. */
export const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`)
    },
    (e: unknown) => e,
  )
